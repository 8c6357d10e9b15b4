/** Devices QEMU cannot carry to another host (libvirt qemuMigrationSrcIsAllowed / IsAllowedHostdev). */
import type { CheckDefinition } from '../pmc/types.js';
import { domainModel } from '../pmc/parsed-facts.js';
import { fail, pass } from './util.js';

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
    'No device QEMU cannot migrate: virtiofs, shmem not in master role, transient disks, DIMMs without slot/base, vDPA (libvirt, KubeVirt, Proxmox).',
  anchor: 'libvirt qemu_migration.c qemuMigrationSrcIsAllowed (virtiofs, shmem, transient disk, dimm, vDPA)',
  remedy: 'Detach the listed devices (or give shmem role=master, DIMMs an address) before migrating.',
  offline: 'no device state moves, and qemuMigrationSrcIsAllowed skips its device rules',
  async run({ facts }) {
    const model = await domainModel(facts);
    const problems: string[] = [];
    for (const fs of model.filesystems) {
      if (fs.driver === 'virtiofs') problems.push(`virtiofs filesystem ${fs.target ?? ''}`.trim());
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
