/**
 * The lab's guests, defined and started on host 1: `lab-vm` (no disk) and
 * `lab-vm-disk` (a small qcow2 in host 1's `local` pool). Both use TCG
 * (`type='qemu'`) and the `qemu64` CPU, so they run with or without /dev/kvm
 * and under nested virtualization (`host-model` aborts QEMU there).
 */
import { execFileSync } from 'node:child_process';
import { renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connection } from '../binding/connection.js';
import type { Domain } from '../binding/domain.js';
import { isLibvirtError } from '../errors.js';
import { SYSTEM_EMULATOR } from './emulator.js';
import type { LabLayout } from './layout.js';
import { ensureOwnedDir } from './root-fs.js';
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
    <emulator>${SYSTEM_EMULATOR}</emulator>
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

/**
 * The dirtying guest's kernel source: `lab/guest/` of the package, the same
 * relative path from src/lab/ (vitest) and dist/lab/ (the built CLI).
 */
const DIRTIER_SOURCE_DIR = fileURLToPath(new URL('../../lab/guest/', import.meta.url));

/** What defineDirtier makes: a guest that fills its RAM, then dirties `rateKiB` KiB/s (lab/guest/dirtier.S). */
export interface DirtierGuest {
  name: string;
  /** Guest RAM in MiB. QEMU's dirty-rate sampling skips RAM blocks under 128 MiB, so 128 or more. */
  memoryMiB: number;
  /** Pages written per second, in KiB/s, paced by the guest's PIT. */
  rateKiB: number;
  /** Its `<emulator>`: the system's QEMU, or `LabInfo.postcopyEmulator` for a guest that migrates post-copy. */
  emulator?: string;
}

/** The domain XML of a dirtying guest: QEMU's multiboot loader runs `kernel` with `rate=` on its command line. */
export function dirtierXml(guest: DirtierGuest, kernel: string): string {
  return `<domain type='qemu'>
  <name>${guest.name}</name>
  <memory unit='MiB'>${guest.memoryMiB}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>${kernel}</kernel><cmdline>rate=${guest.rateKiB}</cmdline></os>
  <cpu mode='custom'><model>qemu64</model></cpu>
  <devices>
    <emulator>${guest.emulator ?? SYSTEM_EMULATOR}</emulator>
    <serial type='null'/>
    <memballoon model='none'/>
  </devices>
</domain>`;
}

/**
 * Builds the dirtying kernel from lab/guest/ into `<lab>/guest/dirtier.elf`
 * (root-owned, world-readable: every host's QEMU reads it) unless a build
 * newer than its sources is there. Needs binutils (`as`, `ld`), as the native
 * build does. Returns the kernel's path.
 */
export function buildDirtier(lab: Pick<LabLayout, 'dir'>): string {
  const outDir = ensureOwnedDir(lab.dir, 'guest', 0, 0, 0o755);
  const kernel = path.join(outDir, 'dirtier.elf');
  const sources = ['dirtier.S', 'dirtier.ld'].map((f) => path.join(DIRTIER_SOURCE_DIR, f));
  const builtAt = mtimeOrNull(kernel);
  if (builtAt !== null && sources.every((s) => statSync(s).mtimeMs <= builtAt)) return kernel;
  const object = path.join(outDir, 'dirtier.o');
  const partial = path.join(outDir, 'dirtier.elf.tmp');
  const run = (cmd: string, args: string[]) => {
    try {
      execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
      if (e.code === 'ENOENT')
        throw new Error(`the dirtying guest is built with GNU ${cmd}: install binutils`, { cause: error });
      throw new Error(`${cmd} failed building the dirtying guest: ${e.stderr?.toString().trim() || e.message}`, {
        cause: error,
      });
    }
  };
  run('as', ['--32', sources[0]!, '-o', object]);
  run('ld', ['-m', 'elf_i386', '--no-warn-rwx-segments', '-T', sources[1]!, object, '-o', partial]);
  renameSync(partial, kernel); // never a half-written kernel under the final name
  return kernel;
}

function mtimeOrNull(file: string): number | null {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/** The name of the lab's `n`th idle guest (1-based): `idle-1`, `idle-2`, … */
export function idleGuestName(n: number): string {
  return `idle-${n}`;
}

/**
 * An idle guest's RAM: the dirtying kernel with rate 0 fills it once, then halts
 * for good. QEMU's multiboot loader puts the kernel at 1 MiB, so 2 MiB is the
 * least it runs in: with 1 MiB QEMU starts, but the guest never reaches the
 * kernel and spins (docs/lab.md, "Many guests").
 */
export const IDLE_GUEST_MIB = 2;

/**
 * Makes `count` idle guests (idleGuestName(1…count), transient) run: one found
 * running on some host (an evacuation may have moved it) stays there; one found
 * nowhere is started on host 1. Lists every host once, then starts the missing
 * guests a few at a time (each start is a QEMU process to spawn).
 */
export async function ensureIdleGuests(conns: Connection[], lab: Pick<LabLayout, 'dir'>, count: number): Promise<void> {
  if (count === 0) return;
  const kernel = buildDirtier(lab);
  const running = new Set<string>();
  for (const conn of conns) for (const dom of await conn.listAllDomains()) running.add(dom.name);
  const missing = Array.from({ length: count }, (_, i) => idleGuestName(i + 1)).filter((name) => !running.has(name));
  const STARTS_AT_ONCE = 4;
  for (let i = 0; i < missing.length; i += STARTS_AT_ONCE) {
    await Promise.all(
      missing
        .slice(i, i + STARTS_AT_ONCE)
        .map((name) => conns[0]!.createDomain(dirtierXml({ name, memoryMiB: IDLE_GUEST_MIB, rateKiB: 0 }, kernel))),
    );
  }
}

/** Builds the kernel if needed, then defines and starts a dirtying guest on `conn`. */
export async function startDirtier(
  conn: Connection,
  lab: Pick<LabLayout, 'dir'>,
  guest: DirtierGuest,
): Promise<Domain> {
  const dom = await conn.defineDomain(dirtierXml(guest, buildDirtier(lab)));
  await dom.create();
  return dom;
}
