/** Guests and disks the checks' e2e tests make on the lab, each test its own, so tests never share state. */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Connection, type Domain } from '../../src/index.js';
import { constants } from '../../src/index.js';
import { guestXml, LOCAL_POOL, type LabInfo } from '../../src/lab/index.js';
import { labLayout } from '../../src/lab/layout.js';
import { whereRuns } from './lab.js';

let serial = 0;

export function uniqueName(prefix: string): string {
  serial += 1;
  return `${prefix}-${process.pid % 10000}-${serial}`;
}

/** The lab guest's XML with `<disk>` on `diskPath` and, optionally, a CPU of our own. */
export function labGuestXml(name: string, opts: Omit<LabGuestOptions, 'define'> = {}): string {
  let xml = guestXml(name, opts.disk);
  if (opts.cpu) xml = xml.replace(/<cpu[\s\S]*?<\/cpu>/, opts.cpu);
  if (opts.memoryMiB)
    xml = xml.replace("<memory unit='MiB'>64</memory>", `<memory unit='MiB'>${opts.memoryMiB}</memory>`);
  return xml;
}

/** A 16 MiB qcow2 volume in pool `pool` of `conn`, group-writable (the shared pool is seen by every host user). */
export async function createVolume(conn: Connection, pool: string, name: string): Promise<string> {
  const vol = await conn.createStorageVolume(
    pool,
    `<volume><name>${name}</name><capacity unit='MiB'>16</capacity>` +
      `<target><format type='qcow2'/><permissions><mode>0660</mode></permissions></target></volume>`,
  );
  return vol.path;
}

/**
 * A qcow2 image outside any pool, in host `hostName`'s private view of the
 * lab's `local` path (`<local>/<subdir>/<file>`), owned by that host's user.
 */
export function createPrivateImage(lab: LabInfo, hostName: string, subdir: string, file: string): string {
  const layout = labLayout({ id: lab.id });
  const h = layout.hosts.find((x) => x.name === hostName)!;
  const info = lab.hosts.find((x) => x.name === hostName)!;
  const dir = path.join(h.privateLocalDir, subdir);
  mkdirSync(dir, { recursive: true });
  const image = path.join(dir, file);
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', image, '16M']);
  chownSync(dir, info.uid, -1);
  chownSync(image, info.uid, -1);
  return path.join(lab.localPath, subdir, file);
}

/** Destroys `name` wherever it runs and undefines it wherever it is defined; ignores what is already gone. */
export async function removeEverywhere(conns: Connection[], name: string): Promise<void> {
  for (const conn of conns) {
    const dom: Domain | null = await conn.lookupDomainByName(name).catch(() => null);
    if (!dom) continue;
    if (await dom.isActive().catch(() => false)) await dom.destroy().catch(() => undefined);
    await dom.undefine().catch(() => undefined);
  }
}

/** Where `name` runs now, asked of every host. */
export async function runsOn(lab: LabInfo, name: string): Promise<string[]> {
  return whereRuns(lab, name);
}

/** How withLabGuest makes its guest: the lab guest's XML with these options, started, or only defined. */
export interface LabGuestOptions {
  disk?: string;
  cpu?: string;
  memoryMiB?: number;
  define?: boolean;
  /** A disk of its own: a new volume `<name>.qcow2` of host-1's local pool, deleted from both hosts after. */
  localDisk?: boolean;
}

/**
 * Makes a lab guest of its own on `h1` (named from `prefix`, started unless
 * `define`), runs `body` on it, then removes it from both hosts, whatever
 * happened.
 */
export async function withLabGuest(
  [h1, h2]: [Connection, Connection],
  prefix: string,
  guest: LabGuestOptions,
  body: (dom: Domain, name: string) => Promise<unknown>,
): Promise<void> {
  const name = uniqueName(prefix);
  const disk = guest.localDisk ? await createVolume(h1, LOCAL_POOL, `${name}.qcow2`) : guest.disk;
  try {
    const xml = labGuestXml(name, { ...guest, disk });
    await body(await (guest.define ? h1.defineDomain(xml) : h1.createDomain(xml)), name);
  } finally {
    await removeEverywhere([h1, h2], name);
    if (guest.localDisk) {
      for (const conn of [h1, h2]) await conn.deleteStorageVolume(disk!).catch(() => undefined);
    }
  }
}

/** Starts a transient block copy of the guest's vda into `<local>/<name>-mirror.qcow2`: a block job to find. */
export async function startBlockCopy(lab: LabInfo, dom: Domain, name: string): Promise<void> {
  await dom.blockCopy(
    'vda',
    `<disk type='file'><source file='${lab.localPath}/${name}-mirror.qcow2'/><driver type='qcow2'/></disk>`,
    { flags: constants.VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB! },
  );
}
