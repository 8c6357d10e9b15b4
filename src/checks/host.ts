/** The destination must be another host: libvirt refuses a migration to the host it comes from. */
import type { CheckDefinition } from '../pmc/types.js';
import { capabilitiesOf } from '../pmc/parsed-facts.js';
import { fail, pass } from './util.js';

export const hostDistinct: CheckDefinition = {
  name: 'host.distinct',
  severity: 'critical',
  description:
    'The destination is another host than the source, by host UUID as libvirt compares it (Nova: not to itself).',
  anchor: 'libvirt qemu_migration_cookie.c qemuMigrationCookieXMLParse "Attempt to migrate guest to the same host"',
  remedy: 'Pick another destination; if the hosts really differ, give each a unique host_uuid in libvirtd.conf.',
  async run({ facts }) {
    const [src, dst, srcUri, dstUri, srcName, dstName] = await Promise.all([
      capabilitiesOf(facts.source),
      capabilitiesOf(facts.destination),
      facts.source.uri(),
      facts.destination.uri(),
      facts.source.hostname(),
      facts.destination.hostname(),
    ]);
    if (src.uuid && dst.uuid) {
      // libvirt's own rule: the cookie carries the host UUID, equal UUIDs abort the migration.
      if (src.uuid === dst.uuid) {
        return fail(
          `the destination is the same host as the source (host UUID ${src.uuid}, hostname ${dstName}): migrate to another host`,
        );
      }
      return pass(`source ${srcName} (${src.uuid}) and destination ${dstName} (${dst.uuid}) are different hosts`);
    }
    // No host UUID (the test driver): only the same connection URI proves it is the same host.
    if (srcUri === dstUri)
      return fail(`the destination ${dstUri} is the source connection itself: migrate to another host`);
    return pass(
      `no host UUID reported; the connections differ (${srcUri} vs ${dstUri})` +
        (srcName === dstName ? `, though both report hostname ${srcName}` : ''),
    );
  },
};
