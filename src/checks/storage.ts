/**
 * Disks: libvirt's shared-storage rule (qemuMigrationSrcIsSafe), the target
 * pools of copied disks (qemuMigrationDstPrecreateDisk) or the volumes they
 * land on, cache modes, CD-ROMs.
 */
import path from 'node:path';
import type { Facts } from '../pmc/facts.js';
import type { CheckDefinition, MigrationOptions } from '../pmc/types.js';
import type { StorageVolumeInfo } from '../binding/native-types.js';
import { parseVolumeFormat, type DiskModel } from '../model/libvirt-xml.js';
import { destinationHas, poolByTargetPath } from './destination-paths.js';
import { domainModel, poolsOf } from '../pmc/parsed-facts.js';
import {
  copiesStorage,
  fail,
  gib,
  isLocalUri,
  notVerifiable,
  outcomeOf,
  pass,
  sharedFsOf,
  skipOffline,
} from './util.js';

/** Pool types whose volumes every host of the cluster reaches. */
const SHARED_POOL_TYPES = new Set([
  'netfs',
  'gluster',
  'rbd',
  'sheepdog',
  'iscsi',
  'iscsi-direct',
  'vstorage',
  'mpath',
]);

/** Empty (no medium) or read-only: libvirt treats these as safe. */
function isEmpty(disk: DiskModel): boolean {
  return !disk.path && !disk.networkName && !disk.volume && disk.type !== 'nvme';
}

/** libvirt's qemuMigrationAnyCopyDisk: the listed targets, or every non-shared, writable disk with a source. */
export function isCopied(disk: DiskModel, options: Readonly<MigrationOptions>): boolean {
  if (!copiesStorage(options)) return false;
  if (options.migrateDisks && options.migrateDisks.length > 0) return options.migrateDisks.includes(disk.target);
  return !disk.shareable && !disk.readonly && !isEmpty(disk);
}

/** The test driver's paths are not files of this machine: never statfs them. */
async function sourceIsStatable(facts: Facts): Promise<boolean> {
  const uri = await facts.source.uri();
  return isLocalUri(uri) && !uri.startsWith('test:');
}

interface Placement {
  shared: boolean;
  /** How we know: `NFS filesystem`, `pool nfs0 (netfs)`, … */
  how: string;
}

/** Whether a file disk sits on shared storage, as libvirt's virFileIsSharedFS would say on the source. */
async function placementOf(facts: Facts, disk: DiskModel): Promise<Placement> {
  const file = disk.path!;
  // Both at once: the pool list is one call, whatever the volume's pool.
  const [vol, pools] = await Promise.all([facts.source.volumeByPath(file), poolsOf(facts.source)]);
  const pool = vol?.pool ? pools.find((p) => p.name === vol.pool) : undefined;
  if (pool && SHARED_POOL_TYPES.has(pool.type)) return { shared: true, how: `pool ${pool.name} (${pool.type})` };
  if (await sourceIsStatable(facts)) {
    const fs = await sharedFsOf(file);
    return fs ? { shared: true, how: `${fs} filesystem` } : { shared: false, how: 'a local filesystem' };
  }
  if (pool) return { shared: false, how: `pool ${pool.name} (${pool.type}, local)` };
  return { shared: false, how: 'no pool on the remote source (assumed local)' };
}

export const storageShared: CheckDefinition = {
  name: 'storage.shared',
  severity: 'critical',
  description:
    "Every disk not being copied is on shared storage (libvirt's rule), and with unsafe or shared storage the destination reaches it (Nova, Proxmox, vSphere).",
  anchor: 'libvirt qemu_migration.c qemuMigrationSrcIsSafe "Migration without shared storage is unsafe"',
  remedy:
    'Copy the disk (copyStorageAll), move it to shared storage (NFS, GlusterFS, Ceph …), or define a pool holding it on the destination.',
  async run({ facts, options }) {
    if (options.offline) {
      return skipOffline('libvirt skips qemuMigrationSrcIsSafe, and no disk is opened there until the guest starts');
    }
    const [model, dstPools] = await Promise.all([domainModel(facts), poolsOf(facts.destination)]);
    const problems: string[] = [];
    const notes: string[] = [];
    // Every disk's lookups at once (one round trip), read below in disk order.
    const placements = new Map(
      model.disks
        .filter((d) => d.type === 'file' && !isEmpty(d) && !d.readonly && !isCopied(d, options))
        .map((d) => [d, Promise.all([placementOf(facts, d), facts.destination.volumeByPath(d.path!)])] as const),
    );
    // A disk's failure is thrown when the loop reaches it; the others' are then nobody's.
    for (const p of placements.values()) p.catch(() => undefined);
    for (const disk of model.disks) {
      if (isEmpty(disk) || disk.readonly) continue;
      if (isCopied(disk, options)) {
        notes.push(`${disk.target} copied`);
        continue;
      }
      if (disk.type === 'network') {
        notes.push(`${disk.target} network (${disk.protocol ?? '?'})`);
        continue;
      }
      if (disk.type === 'nvme') {
        if (!options.unsafe)
          problems.push(`${disk.target} is an NVMe device of this host: libvirt calls that unsafe; copy it`);
        continue;
      }
      if (disk.type !== 'file') {
        // libvirt does not call block, dir or volume disks unsafe: it trusts them to be shared (SAN).
        notes.push(`${disk.target} ${disk.type} (trusted as shared, as libvirt does)`);
        continue;
      }
      const [placement, onDst] = await placements.get(disk)!;
      if (!placement.shared && !options.unsafe) {
        problems.push(
          `${disk.target} (${disk.path}) is on ${placement.how}: libvirt refuses ("Migration without shared storage is unsafe"); ` +
            `copy it with copyStorageAll or move it to shared storage`,
        );
        continue;
      }
      const dirPool = poolByTargetPath(dstPools, path.dirname(disk.path!));
      if (onDst) {
        notes.push(`${disk.target} on ${placement.how}, known on the destination`);
      } else if (placement.shared && dirPool) {
        notes.push(`${disk.target} on ${placement.how}; destination pool ${dirPool.name} holds its directory`);
      } else {
        problems.push(
          `${disk.target} (${disk.path}, on ${placement.how}) is not known on the destination: ` +
            `define (or refresh) a pool there that holds it, or copy the disk`,
        );
      }
    }
    return outcomeOf(problems, notes, 'no disk needs shared storage');
  },
};

/**
 * A copied disk onto a volume the destination already has: libvirt skips
 * pre-creation (qemuMigrationDstPrecreateStorage: "already existing disks"),
 * the destination QEMU opens the file as the disk's `<driver type>` ("Image is
 * not in qcow2 format"), and QEMU's mirror into its NBD export needs the same
 * virtual size ("Source and target image have different sizes"). The source's
 * size is its volume's capacity: unknown outside a pool, and then not judged.
 */
export function existingTargetProblem(
  disk: DiskModel,
  existing: StorageVolumeInfo,
  source: StorageVolumeInfo | null,
): string | null {
  const format = parseVolumeFormat(existing.xml);
  if (disk.format && format && format !== disk.format) {
    return `${existing.path} exists on the destination as ${format}, and QEMU opens it as the disk's ${disk.format} (QEMU: "Image is not in ${disk.format} format")`;
  }
  if (source && source.capacity !== existing.capacity) {
    return `${existing.path} exists on the destination with ${existing.capacity} bytes, the source disk has ${source.capacity}: the copy needs the same size (QEMU: "Source and target image have different sizes")`;
  }
  return null;
}

export const storageCopyTarget: CheckDefinition = {
  name: 'storage.copy-target',
  severity: 'critical',
  description:
    'With copy-storage, each copied disk has a destination pool at its directory with room for it (libvirt precreation; Nova disk_available_least), or a volume already there of its format and size.',
  anchor:
    'libvirt qemu_migration.c qemuMigrationDstPrecreateDisk "no storage pool with matching target path"; qemuMigrationDstPrecreateStorage skips existing disks, QEMU then opens and mirrors into them ("Image is not in qcow2 format", "Source and target image have different sizes")',
  remedy:
    "Define and start a pool on the destination whose target path is the disk's directory, with room for the disk, or pre-create the disk there in the disk's format and of its virtual size (or delete a mismatching one so libvirt creates it).",
  offline: 'no storage is copied (libvirt refuses copy-storage with offline)',
  async run({ facts, options }) {
    // migration.flags refuses copy-storage with offline, as libvirt does.
    if (!copiesStorage(options)) return pass('no storage is copied');
    const [model, dstPools] = await Promise.all([domainModel(facts), poolsOf(facts.destination)]);
    const problems: string[] = [];
    const notes: string[] = [];
    const needByPool = new Map<string, number>();
    // The copied files' lookups on both hosts at once (one round trip), read below from the cache.
    await Promise.all(
      model.disks
        .filter((d) => isCopied(d, options) && d.path)
        .flatMap((d) => [facts.destination.volumeByPath(d.path!), facts.source.volumeByPath(d.path!)]),
    );
    for (const disk of model.disks.filter((d) => isCopied(d, options))) {
      if (disk.type === 'network') {
        notes.push(`${disk.target}: network disk, not pre-created by libvirt`);
        continue;
      }
      if (disk.type === 'volume') {
        const pool = dstPools.find((p) => p.name === disk.pool);
        if (!pool?.active) problems.push(`${disk.target}: the destination has no active pool ${disk.pool}`);
        continue;
      }
      const file = disk.path;
      if (!file) continue;
      const existing = await facts.destination.volumeByPath(file);
      if (existing) {
        const problem = existingTargetProblem(disk, existing, await facts.source.volumeByPath(file));
        if (problem) problems.push(`${disk.target}: ${problem}`);
        else notes.push(`${disk.target}: ${file} already exists on the destination, of the same size and format`);
        continue;
      }
      if (options.copyStorageInc) {
        problems.push(
          `${disk.target}: libvirt cannot pre-create a disk for incremental copy; create ${file} on the destination first`,
        );
        continue;
      }
      if (disk.type !== 'file') {
        problems.push(
          `${disk.target}: libvirt cannot pre-create a ${disk.type} disk; create ${file} on the destination first`,
        );
        continue;
      }
      const dir = path.dirname(file);
      const pool = poolByTargetPath(dstPools, dir);
      if (!pool) {
        problems.push(
          `${disk.target}: no storage pool with matching target path '${dir}' on the destination (libvirt fails there)`,
        );
        continue;
      }
      if (!pool.active) {
        problems.push(`${disk.target}: destination pool ${pool.name} at ${dir} is not active: start it`);
        continue;
      }
      // The copy writes what the source volume holds; its allocation is the room it takes.
      const srcVol = await facts.source.volumeByPath(file);
      const need = srcVol ? srcVol.allocation : 0;
      needByPool.set(pool.name, (needByPool.get(pool.name) ?? 0) + need);
      notes.push(
        `${disk.target}: into pool ${pool.name}${srcVol ? ` (${gib(need)})` : ' (size unknown: not in a source pool)'}`,
      );
    }
    for (const [name, need] of needByPool) {
      const pool = dstPools.find((p) => p.name === name)!;
      if (need > pool.available) {
        problems.push(
          `destination pool ${name} has ${gib(pool.available)} available, the copied disks need ${gib(need)}`,
        );
      }
    }
    return outcomeOf(problems, notes, 'no disk is copied');
  },
};

export const storageCache: CheckDefinition = {
  name: 'storage.cache',
  severity: 'warning',
  description:
    'Disks on shared storage use cache none or directsync, else the destination may read stale data (libvirt qemuMigrationSrcIsSafe).',
  anchor:
    'libvirt qemu_migration.c qemuMigrationSrcIsSafe "Migration may lead to data corruption if disks use cache other than none or directsync"',
  remedy: "Set <driver cache='none'/> (or directsync) on shared disks.",
  offline: 'libvirt skips qemuMigrationSrcIsSafe, and no host cache is shared',
  async run({ facts, options }) {
    const model = await domainModel(facts);
    const risky: string[] = [];
    for (const disk of model.disks) {
      if (isEmpty(disk) || disk.readonly || disk.shareable || isCopied(disk, options)) continue;
      if (disk.type === 'network') continue;
      const cache = disk.cache ?? 'default';
      if (cache === 'none' || cache === 'directsync') continue;
      if (disk.type === 'file' && !(await placementOf(facts, disk)).shared) continue;
      risky.push(`${disk.target} (cache=${cache})`);
    }
    if (risky.length) {
      return fail(
        `shared disks with a host cache: ${risky.join(', ')}. libvirt 9.0 lets this pass when QEMU can drop caches ` +
          `(QEMU >= 5.0), older pairs refuse it; set cache='none' to be safe`,
      );
    }
    return pass('no shared disk uses a host page cache');
  },
};

/**
 * Whether libvirt drops this disk's medium when its source is missing on the
 * destination, instead of failing: qemuDomainCheckDiskStartupPolicy for a
 * start that is not a cold boot (an incoming migration): `requisite` drops
 * any disk, `optional` only a CD-ROM or floppy (QEMU keeps other disks'
 * sections in the stream), the default (`mandatory`) fails.
 */
export function droppedWhenMissing(disk: DiskModel): boolean {
  if (disk.startupPolicy === 'requisite') return true;
  return disk.startupPolicy === 'optional' && (disk.device === 'cdrom' || disk.device === 'floppy');
}

/** Disks whose presence on the destination storage.shared decides (written to, not copied, files). */
export function presenceCheckedByStorageShared(disk: DiskModel, options: Readonly<MigrationOptions>): boolean {
  return !isEmpty(disk) && !disk.readonly && !isCopied(disk, options) && disk.type === 'file';
}

/** Disks host.paths looks for on the destination: the local sources no other storage check decides. */
export function diskPathsForHostPaths(disks: readonly DiskModel[], options: Readonly<MigrationOptions>): DiskModel[] {
  return disks.filter(
    (d) =>
      d.path !== null &&
      ['file', 'block', 'dir'].includes(d.type) &&
      !isCopied(d, options) &&
      !droppedWhenMissing(d) &&
      !presenceCheckedByStorageShared(d, options),
  );
}

export const storageCdrom: CheckDefinition = {
  name: 'storage.cdrom',
  severity: 'warning',
  description:
    "A removable medium libvirt would drop when the destination lacks its image (startupPolicy 'optional' CD-ROM/floppy, 'requisite') is there too; without such a policy host.paths requires it (Proxmox: local CD-ROM).",
  anchor:
    'libvirt qemu_domain.c qemuDomainCheckDiskStartupPolicy (not a cold boot); Proxmox qemu-server check_local_resources (local cdrom)',
  remedy: 'Eject the medium (virsh change-media --eject), or put the image in a pool the destination also has.',
  offline: 'no image is opened there until the guest starts',
  async run({ facts, options }) {
    const model = await domainModel(facts);
    const media = model.disks.filter((d) => d.path && droppedWhenMissing(d) && !isCopied(d, options));
    // Every medium's whereabouts asked at once: one wave, not one round trip per medium.
    const where = await Promise.all(media.map((d) => destinationHas(facts, d.path!)));
    const dropped: string[] = [];
    const unknown: string[] = [];
    media.forEach((disk, i) => {
      const w = where[i]!;
      if (w.state === 'absent') dropped.push(`${disk.target} (${disk.path}: ${w.how})`);
      else if (w.state === 'unknown') unknown.push(`${disk.target} (${disk.path}: ${w.how})`);
    });
    if (dropped.length) {
      return fail(
        `the destination lacks the image of ${dropped.join(', ')}: libvirt drops the medium (startupPolicy), ` +
          `the guest arrives without it`,
      );
    }
    if (unknown.length) return notVerifiable(unknown.join(', '));
    return pass('every medium libvirt could drop is on the destination (or none has such a policy)');
  },
};
