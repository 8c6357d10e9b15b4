/**
 * The destination can name an address for the incoming migration stream
 * (libvirt qemu_migration.c qemuMigrationDstPrepareDirect).
 */
import type { CheckDefinition, MigrationOptions } from '../pmc/types.js';
import { fail, pass, skip } from './util.js';

/**
 * Why libvirt's destination will refuse to name its own address, or null. Without
 * a migration URI the destination offers `virGetHostname()` (the hostname
 * virConnectGetHostname reports), and refuses one that starts with "localhost":
 * the source could not reach it. Its qemu.conf `migration_host` would override
 * the hostname, and it is not visible; hence a warning, not a block.
 */
export function localhostAddressProblem(
  destinationHostname: string,
  options: Pick<MigrationOptions, 'migrateUri' | 'tunnelled'>,
): string | null {
  if (options.migrateUri || options.tunnelled) return null;
  if (!destinationHostname.startsWith('localhost')) return null;
  return (
    `the destination's hostname is "${destinationHostname}" and no migration URI is given: libvirt there refuses ` +
    `("hostname on destination resolved to localhost, but migration requires an FQDN") unless its qemu.conf sets migration_host`
  );
}

export const hostMigrationAddress: CheckDefinition = {
  name: 'host.migration-address',
  severity: 'warning',
  description:
    'Without a migration URI, the destination has a hostname other than localhost* to offer for the stream (libvirt refuses one).',
  anchor:
    'libvirt qemu_migration.c qemuMigrationDstPrepareDirect "hostname on destination resolved to localhost, but migration requires an FQDN"',
  remedy:
    "Give a migration URI (--migrateuri tcp://<destination address>), set migration_host in the destination's qemu.conf, or give the destination a real hostname.",
  async run({ facts, options }) {
    if (options.migrateUri) return skip('a migration URI is given: the destination offers no address of its own');
    if (options.tunnelled)
      return skip('a tunnelled migration uses the libvirt connection, not an address of the destination');
    const hostname = await facts.destination.hostname();
    const problem = localhostAddressProblem(hostname, options);
    if (problem) return fail(problem);
    return pass(`the destination offers its hostname ${hostname} for the migration stream`);
  },
};
