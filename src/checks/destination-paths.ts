/**
 * What the destination has at a host path, as far as libvirt can tell a
 * client that cannot stat it: a storage volume there (virStorageVolLookupByPath:
 * directory pools list their files and subdirectories as volumes), a pool's
 * target directory, or the listing of the deepest pool holding the path.
 * Weighed and not used: a transient directory pool made to probe a directory
 * (it needs a read-write connection, collides with any pool or concurrent
 * probe on that directory, opens every file there on refresh, and must never
 * point at /dev); docs/accuracy.md says more.
 */
import path from 'node:path';
import type { PoolModel } from '../model/libvirt-xml.js';
import { UNIVERSAL_DEVICES } from '../model/host-paths.js';
import type { Facts } from '../pmc/facts.js';
import { poolsOf } from '../pmc/parsed-facts.js';

/** Pool types whose target is a directory whose entries libvirt lists as volumes. */
const LISTING_POOL_TYPES = new Set(['dir', 'fs', 'netfs']);

export type Presence =
  { state: 'present'; how: string } | { state: 'absent'; how: string } | { state: 'unknown'; how: string };

/** The destination pool whose target path is exactly `dir` (libvirt's virStoragePoolLookupByTargetPath). */
export function poolByTargetPath(pools: PoolModel[], dir: string): PoolModel | undefined {
  const norm = path.resolve(dir);
  return pools.find((p) => p.targetPath !== null && path.resolve(p.targetPath) === norm);
}

/** Whether the destination has something at `file` (a file, directory, device or volume). */
export async function destinationHas(facts: Facts, file: string): Promise<Presence> {
  const p = path.resolve(file);
  if (UNIVERSAL_DEVICES.has(p)) return { state: 'present', how: 'a device every Linux host has' };
  const vol = await facts.destination.volumeByPath(p);
  if (vol) return { state: 'present', how: `volume of pool ${vol.pool ?? '?'}` };
  const holders = (await poolsOf(facts.destination))
    .filter((pool) => pool.active && pool.targetPath !== null && LISTING_POOL_TYPES.has(pool.type))
    .map((pool) => ({ pool, target: path.resolve(pool.targetPath!) }))
    .filter(({ target }) => p === target || p.startsWith(target === '/' ? '/' : `${target}/`))
    .sort((a, b) => b.target.length - a.target.length);
  const holder = holders[0];
  if (!holder) return { state: 'unknown', how: `no destination pool holds ${p}` };
  const { pool, target } = holder;
  if (p === target) return { state: 'present', how: `the target directory of pool ${pool.name}` };
  // A pool lists only its target's own entries: the first step below it decides, or cannot.
  const child = path.join(target, p.slice(target.length + 1).split('/')[0]!);
  const refresh = `(virsh pool-refresh ${pool.name} there if it was made since)`;
  if (child === p)
    return { state: 'absent', how: `pool ${pool.name} at ${target} has no ${path.basename(p)} ${refresh}` };
  const step = await facts.destination.volumeByPath(child);
  if (!step)
    return { state: 'absent', how: `pool ${pool.name} at ${target} has no ${path.basename(child)} ${refresh}` };
  if (step.type !== 'dir') return { state: 'absent', how: `${child} is a ${step.type}, not a directory, there` };
  return { state: 'unknown', how: `pool ${pool.name} lists ${child} but not what lies inside it` };
}

/** Whether the destination has the directory of `file`, where libvirt or QEMU will create it. */
export function destinationHasDirectoryOf(facts: Facts, file: string): Promise<Presence> {
  return destinationHas(facts, path.dirname(path.resolve(file)));
}
