/**
 * The lab's storage, laid out like separate machines: pool `local` has the same
 * path on every host but each host sees its own directory there; pool `shared`
 * is one directory every host sees. libvirt still treats `shared` as local
 * storage (it asks the filesystem type), see docs/lab.md.
 */
import type { Connection } from '../binding/connection.js';
import type { LabLayout } from './layout.js';

export const LOCAL_POOL = 'local';
export const SHARED_POOL = 'shared';

function dirPoolXml(name: string, target: string): string {
  return `<pool type='dir'><name>${name}</name><target><path>${target}</path></target></pool>`;
}

/** Defines and starts the two pools on one host, when they are not defined yet. */
export async function ensurePools(conn: Connection, lab: LabLayout): Promise<void> {
  const existing = new Set((await conn.listAllStoragePools()).map((p) => p.name));
  for (const [name, target] of [
    [LOCAL_POOL, lab.localPath],
    [SHARED_POOL, lab.sharedPath],
  ] as const) {
    if (!existing.has(name)) await conn.defineStoragePool(dirPoolXml(name, target), { start: true });
  }
}
