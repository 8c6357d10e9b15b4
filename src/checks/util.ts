/** Small helpers the built-in checks share: outcomes, units, shared filesystems. */
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import type { Facts } from '../pmc/facts.js';
import { offlineSkipMessage } from '../pmc/outcome.js';
import type { CheckOutcome, MigrationOptions } from '../pmc/types.js';

export function pass(message: string, details?: unknown): CheckOutcome {
  return details === undefined ? { status: 'pass', message } : { status: 'pass', message, details };
}

export function fail(message: string, details?: unknown): CheckOutcome {
  return details === undefined ? { status: 'fail', message } : { status: 'fail', message, details };
}

/** The check does not apply to this migration; `reason` says why (never blocks). */
export function skip(reason: string): CheckOutcome {
  return { status: 'skipped', message: reason };
}

/**
 * The check applies but cannot find out: a failing outcome whose message
 * starts with "not verifiable:" and names what it could not see. Only warning
 * checks return it (a check's severity is its own), so `strict` blocks it.
 */
export function notVerifiable(what: string, details?: unknown): CheckOutcome {
  return fail(`not verifiable: ${what}`, details);
}

/**
 * notVerifiable for what a rehearsal (docs/rehearsal.md) cannot see either,
 * because only the Perform phase shows it (`when`: "only while data flows").
 * Its message starts "not verifiable (when):", so a passing rehearsal, which
 * settles the "not verifiable:" warnings, leaves it as it is.
 */
export function notVerifiableBeforePerform(when: string, what: string, details?: unknown): CheckOutcome {
  return fail(`not verifiable (${when}): ${what}`, details);
}

/**
 * A check an offline migration makes moot. libvirt moves only the definition:
 * qemuMigrationSrcIsAllowed and qemuMigrationSrcIsSafe skip their live rules,
 * qemuMigrationDstPrepareFresh starts no QEMU, and the Perform phase is left out.
 */
export function skipOffline(consequence: string): CheckOutcome {
  return skip(offlineSkipMessage(consequence));
}

export { ACTIVE_STATES } from '../pmc/parsed-facts.js';
import { ACTIVE_STATES } from '../pmc/parsed-facts.js';

/** Whether the guest runs now (a QEMU process exists on the source). */
export async function isRunning(facts: Facts): Promise<boolean> {
  return ACTIVE_STATES.has((await facts.domain.state()).state);
}

/** Fails with the problems found, each one named; else passes with the notes, or `none` when there are none. */
export function outcomeOf(problems: readonly string[], notes: readonly string[], none: string): CheckOutcome {
  if (problems.length) return fail(problems.join('; '));
  return pass(notes.length ? notes.join('; ') : none);
}

/** The migration copies the guest's disks (copyStorageAll or copyStorageInc). */
export function copiesStorage(options: Readonly<MigrationOptions>): boolean {
  return Boolean(options.copyStorageAll || options.copyStorageInc);
}

export function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
}

/** True when `uri` names a driver on this machine (no host part), so its paths are ours to statfs. */
export function isLocalUri(uri: string): boolean {
  const m = /^[a-z0-9+.-]+:\/\/([^/]*)\//i.exec(uri);
  if (!m) return true;
  const host = (m[1] ?? '').replace(/^.*@/, '');
  return host === '' || host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

/**
 * Filesystem magic numbers libvirt's virFileIsSharedFS and virFileIsClusterFS
 * treat as shared (src/util/virfile.c): NFS, GFS2, OCFS2, AFS, SMB/CIFS,
 * CephFS, GPFS, Quobyte (FUSE), BeeGFS, GlusterFS (FUSE).
 */
const SHARED_FS: Record<number, string> = {
  0x6969: 'NFS',
  0x01161970: 'GFS2',
  0x7461636f: 'OCFS2',
  0x5346414f: 'AFS',
  0x517b: 'SMB',
  0xfe534d42: 'SMB2',
  0xff534d42: 'CIFS',
  0x00c36400: 'CephFS',
  0x47504653: 'GPFS',
  0x19830326: 'BeeGFS',
  0x65735546: 'FUSE',
};

/**
 * The shared filesystem holding `file` (walking up to the first existing
 * directory, as libvirt does for a file not yet created), or null for a local
 * one. FUSE counts as shared only when /proc/mounts says glusterfs or quobyte,
 * as in libvirt.
 */
export async function sharedFsOf(file: string): Promise<string | null> {
  let p = file;
  for (;;) {
    try {
      const st = await statfs(p);
      const name = SHARED_FS[Number(st.type) >>> 0] ?? null;
      if (name === 'FUSE') return (await fuseKind(p)) ?? null;
      return name;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || p === '/') throw e;
      p = path.dirname(p);
    }
  }
}

async function fuseKind(p: string): Promise<string | null> {
  const { readFile } = await import('node:fs/promises');
  const mounts = (await readFile('/proc/mounts', 'utf8')).split('\n').map((l) => l.split(' '));
  let best: string[] | undefined;
  for (const m of mounts) {
    const mountPoint = m[1];
    if (!mountPoint || !(p === mountPoint || p.startsWith(mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`)))
      continue;
    if (!best || mountPoint.length > (best[1]?.length ?? 0)) best = m;
  }
  const type = best?.[2] ?? '';
  if (type === 'fuse.glusterfs') return 'GlusterFS';
  if (type === 'fuse.quobyte') return 'Quobyte';
  return null;
}
