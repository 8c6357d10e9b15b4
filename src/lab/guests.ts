/**
 * The lab's guests, defined and started on host 1: `lab-vm` (no disk) and
 * `lab-vm-disk` (a small qcow2 in host 1's `local` pool). Both use TCG
 * (`type='qemu'`) and the `qemu64` CPU, so they run with or without /dev/kvm
 * and under nested virtualization (`host-model` aborts QEMU there).
 */
import path from 'node:path';
import type { Connection } from '../binding/connection.js';
import { isLibvirtError } from '../errors.js';
import type { LabLayout } from './layout.js';
import { LOCAL_POOL } from './storage.js';

export const LAB_VM = 'lab-vm';
export const LAB_VM_DISK = 'lab-vm-disk';
export const LAB_VM_DISK_VOLUME = 'lab-vm-disk.qcow2';
const DISK_MIB = 64;

/** The domain XML of a lab guest; `disk` is the path of its qcow2 image. */
export function guestXml(name: string, disk?: string): string {
  const diskXml = disk
    ? `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk>`
    : '';
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <cpu mode='custom'><model>qemu64</model></cpu>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    ${diskXml}
    <serial type='null'/>
    <memballoon model='none'/>
  </devices>
</domain>`;
}

export function diskPath(lab: LabLayout): string {
  return path.join(lab.localPath, LAB_VM_DISK_VOLUME);
}

async function isDefinedOn(conn: Connection, name: string): Promise<boolean> {
  try {
    await conn.lookupDomainByName(name);
    return true;
  } catch (error) {
    if (isLibvirtError(error, 'VIR_ERR_NO_DOMAIN')) return false;
    throw error;
  }
}

async function ensureVolume(conn: Connection, lab: LabLayout): Promise<void> {
  try {
    await conn.lookupStorageVolByPath(diskPath(lab));
  } catch (error) {
    if (!isLibvirtError(error, 'VIR_ERR_NO_STORAGE_VOL')) throw error;
    await conn.createStorageVolume(
      LOCAL_POOL,
      `<volume><name>${LAB_VM_DISK_VOLUME}</name><capacity unit='MiB'>${DISK_MIB}</capacity>` +
        `<target><format type='qcow2'/></target></volume>`,
    );
  }
}

/**
 * Makes each guest exist and run. A guest found on some host (a test may have
 * moved it) is started there; one found nowhere is defined and started on host 1.
 */
export async function ensureGuests(conns: Connection[], lab: LabLayout): Promise<void> {
  const first = conns[0]!;
  for (const name of [LAB_VM, LAB_VM_DISK]) {
    let home: Connection | undefined;
    for (const conn of conns) if (await isDefinedOn(conn, name)) home = home ?? conn;
    if (!home) {
      if (name === LAB_VM_DISK) await ensureVolume(first, lab);
      await first.defineDomain(guestXml(name, name === LAB_VM_DISK ? diskPath(lab) : undefined));
      home = first;
    }
    const dom = await home.lookupDomainByName(name);
    if (!(await dom.isActive())) await dom.create();
  }
}
