/** Same hypervisor on both sides, and no downgrade: what Nova checks before a live migration. */
import type { CheckDefinition, CheckOutcome } from '../pmc/types.js';
import { formatVersion, type Version } from '../binding/version.js';
import { fail, pass, skipOffline } from './util.js';

export const hypervisorType: CheckDefinition = {
  name: 'hypervisor.type',
  severity: 'critical',
  description: 'Source and destination run the same hypervisor driver (Nova: same hypervisor type).',
  anchor: 'Nova conductor/tasks/live_migrate.py _check_compatible_with_source_hypervisor',
  remedy: 'Migrate between hosts of the same driver (QEMU to QEMU); other pairs need a conversion, not a migration.',
  async run({ facts }) {
    const [src, dst] = await Promise.all([facts.source.type(), facts.destination.type()]);
    if (src !== dst) return fail(`the source runs ${src} but the destination runs ${dst}: pick a ${src} destination`);
    return pass(`both hosts run ${src}`);
  },
};

export const hypervisorVersion: CheckDefinition = {
  name: 'hypervisor.version',
  severity: 'critical',
  description: 'The destination hypervisor is not older than the source one (Nova: destination version >= source).',
  anchor: 'Nova conductor/tasks/live_migrate.py _check_compatible_with_source_hypervisor',
  remedy: 'Upgrade the destination hypervisor (QEMU) to at least the source version, or pick a newer destination.',
  async run({ facts, options }) {
    if (options.offline) {
      return skipOffline(
        'no migration stream goes to a destination QEMU (platform.supported asks whether it can run the guest)',
      );
    }
    const [src, dst] = await Promise.all([facts.source.hypervisorVersion(), facts.destination.hypervisorVersion()]);
    if (dst.number < src.number) {
      return fail(
        `the destination hypervisor ${formatVersion(dst)} is older than the source ${formatVersion(src)}: ` +
          `an older QEMU may not load the newer one's migration stream; upgrade the destination`,
      );
    }
    return pass(`destination hypervisor ${formatVersion(dst)} >= source ${formatVersion(src)}`);
  },
};

/** libvirt.version's verdict on two versions: a pure function, so both directions are testable on one libvirt. */
export function compareLibvirtVersions(src: Version, dst: Version): CheckOutcome {
  if (dst.number < src.number) {
    return fail(
      `the destination libvirt ${formatVersion(dst)} is older than the source ${formatVersion(src)}: ` +
        `upgrade it, or expect newer XML elements or parameters to be refused`,
    );
  }
  return pass(`destination libvirt ${formatVersion(dst)} >= source ${formatVersion(src)}`);
}

export const libvirtVersion: CheckDefinition = {
  name: 'libvirt.version',
  severity: 'warning',
  description: 'The destination libvirt is not older than the source one (Nova keeps a minimum libvirt version).',
  anchor: 'Nova virt/libvirt/driver.py MIN_LIBVIRT_VERSION; libvirt migration cookie features',
  remedy: 'Upgrade libvirt on the destination; an older libvirt may not understand newer XML or migration parameters.',
  async run({ facts }) {
    const [src, dst] = await Promise.all([facts.source.libVersion(), facts.destination.libVersion()]);
    return compareLibvirtVersions(src, dst);
  },
};
