/** Devices QEMU cannot carry to another host (libvirt qemuMigrationSrcIsAllowed / IsAllowedHostdev). */
import { formatVersion, type Version } from '../binding/version.js';
import type { DomainModel } from '../model/libvirt-xml.js';
import type { CheckDefinition } from '../pmc/types.js';
import { domainModel } from '../pmc/parsed-facts.js';
import { fail, notVerifiableBeforePerform, pass } from './util.js';

/**
 * The first libvirt whose qemuMigrationSrcIsAllowed lets a virtiofs filesystem
 * migrate, as read: 11.3 has the rule, 9.x refuses every virtiofs device. An
 * earlier 10.x or 11.x may have it already; there the check blocks as 9.x
 * does (a false alarm, never a false pass).
 */
export const VIRTIOFS_MIGRATES_SINCE = 11_003_000;

/**
 * What the source libvirt (`sourceLibvirt`: qemuMigrationSrcIsAllowed runs
 * there) does with one virtiofs filesystem: 'blocks' ("migration with virtiofs
 * device is not supported", before 11.3), 'migrates' (a virtiofsd started
 * outside libvirt, `<source socket>`: its migration is the user's business),
 * or 'unknown' (libvirt asks the virtiofsd it starts whether it can migrate,
 * and no API shows the answer).
 */
export function virtiofsVerdict(
  fs: Pick<DomainModel['filesystems'][number], 'socket'>,
  sourceLibvirt: Version,
): 'blocks' | 'migrates' | 'unknown' {
  if (sourceLibvirt.number < VIRTIOFS_MIGRATES_SINCE) return 'blocks';
  return fs.socket ? 'migrates' : 'unknown';
}

function virtiofsName(fs: DomainModel['filesystems'][number]): string {
  return `virtiofs filesystem ${fs.target ?? ''}`.trim();
}

export const devicesHostdev: CheckDefinition = {
  name: 'devices.hostdev',
  severity: 'critical',
  description:
    'No PCI (except transient teaming), SCSI, scsi_host or mdev host device is assigned (libvirt, Nova, Proxmox hostpci, KubeVirt).',
  anchor: 'libvirt qemu_migration.c qemuMigrationSrcIsAllowedHostdev "cannot migrate a domain with <hostdev …>"',
  remedy:
    "Detach the host device before migrating (virsh detach-device), or use <teaming type='transient'> for SR-IOV NICs.",
  offline: 'libvirt checks no host device (qemuMigrationSrcIsAllowed skips its live rules)',
  async run({ facts }) {
    const model = await domainModel(facts);
    const blocking = model.hostdevs.filter((h) => {
      if (h.mode === 'capabilities') return true;
      if (h.type === 'usb') return false;
      if (h.type === 'pci' && h.fromInterface && h.teaming === 'transient') return false; // QEMU unplugs it (failover).
      return true;
    });
    if (blocking.length) {
      return fail(
        `libvirt refuses to migrate with ${blocking.map((h) => h.description).join(', ')}: detach them first`,
      );
    }
    return pass('no host device blocks the migration');
  },
};

export const devicesUsb: CheckDefinition = {
  name: 'devices.usb',
  severity: 'warning',
  description:
    'USB host devices are re-attached on the destination, which must have the same device (libvirt allows, Proxmox warns).',
  anchor:
    'libvirt qemu_migration.c qemuMigrationSrcIsAllowedHostdev (USB "can be migrated"); Proxmox check_local_resources',
  remedy: 'Make sure the destination has the same USB device, or detach it before migrating.',
  offline: 'no USB device is attached there until the guest starts',
  async run({ facts }) {
    const model = await domainModel(facts);
    const usb = model.hostdevs.filter((h) => h.type === 'usb');
    if (usb.length) {
      return fail(
        `the guest uses USB host devices (${usb.map((h) => h.description).join(', ')}): the destination must have them too`,
      );
    }
    return pass('no USB host device');
  },
};

export const devicesMigratable: CheckDefinition = {
  name: 'devices.migratable',
  severity: 'critical',
  description:
    'No device QEMU cannot migrate: virtiofs (before libvirt 11.3), shmem not in master role, transient disks, DIMMs without slot/base, vDPA (libvirt, KubeVirt, Proxmox).',
  anchor: 'libvirt qemu_migration.c qemuMigrationSrcIsAllowed (virtiofs, shmem, transient disk, dimm, vDPA)',
  remedy: 'Detach the listed devices (or give shmem role=master, DIMMs an address) before migrating.',
  offline: 'no device state moves, and qemuMigrationSrcIsAllowed skips its device rules',
  async run({ facts }) {
    const model = await domainModel(facts);
    const problems: string[] = [];
    const virtiofs = model.filesystems.filter((fs) => fs.driver === 'virtiofs');
    if (virtiofs.length) {
      // The rule changed after 9.x: ask the version only when it matters.
      const version = await facts.source.libVersion();
      for (const fs of virtiofs) {
        if (virtiofsVerdict(fs, version) === 'blocks')
          problems.push(`${virtiofsName(fs)} (libvirt ${formatVersion(version)} migrates none)`);
      }
    }
    for (const shm of model.shmems) {
      if (shm.model === 'ivshmem') problems.push(`legacy ivshmem device ${shm.name}`);
      else if (shm.role !== 'master')
        problems.push(`shmem ${shm.name} (role ${shm.role ?? 'default'}, only master migrates)`);
    }
    for (const disk of model.disks) if (disk.transient) problems.push(`transient disk ${disk.target}`);
    for (const mem of model.memoryDevices) {
      if (mem.model === 'dimm' && mem.addressType !== 'dimm') problems.push('a DIMM without slot or base address');
    }
    for (const v of model.vdpaInterfaces) problems.push(`vDPA interface ${v}`);
    if (problems.length) return fail(`QEMU cannot migrate ${problems.join(', ')}: detach or change them first`);
    return pass('every device can be migrated');
  },
};

export const devicesVirtiofsVerifiable: CheckDefinition = {
  name: 'devices.virtiofs-verifiable',
  severity: 'warning',
  description:
    'A virtiofs filesystem whose virtiofsd libvirt starts: from libvirt 11.3 it migrates if that virtiofsd can, which no API shows.',
  anchor:
    'libvirt 11.3 qemu_migration.c qemuMigrationSrcIsAllowed "migration with this virtiofs device is not supported"',
  remedy:
    'Check that the source virtiofsd supports migration (virtiofsd 1.11 or newer), or run virtiofsd yourself and name its socket (<source socket>).',
  offline: 'no device state moves, and qemuMigrationSrcIsAllowed skips its device rules',
  async run({ facts }) {
    const model = await domainModel(facts);
    const virtiofs = model.filesystems.filter((fs) => fs.driver === 'virtiofs');
    if (!virtiofs.length) return pass('no virtiofs filesystem');
    const version = await facts.source.libVersion();
    const unknown = virtiofs.filter((fs) => virtiofsVerdict(fs, version) === 'unknown');
    if (unknown.length) {
      return notVerifiableBeforePerform(
        'asked at Perform',
        `whether the virtiofsd libvirt ${formatVersion(version)} starts for ${unknown.map(virtiofsName).join(', ')} can migrate (libvirt asks virtiofsd itself)`,
      );
    }
    return pass(
      version.number < VIRTIOFS_MIGRATES_SINCE
        ? `libvirt ${formatVersion(version)} migrates no virtiofs filesystem: devices.migratable decides`
        : 'every virtiofs filesystem uses a virtiofsd started outside libvirt',
    );
  },
};
