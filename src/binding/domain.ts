import { constants } from './native.js';
import type { BlockJobInfo, DomainInfo, DomainState, JobInfo, JobStats, NativeDomain } from './native-types.js';
import { paramsToEntries, type MigrateParams } from '../options/index.js';
import type { Connection } from './connection.js';

/**
 * A libvirt domain. It keeps its connection alive; its methods reject with
 * VIR_ERR_INVALID_CONN once that connection is closed. A plain binding: the
 * pre-migration-check methods (checkPMC, migratePMC) are attached by
 * src/api.ts, which the package entry point loads.
 */
export class Domain {
  /** The native handle, for the framework's native calls. */
  readonly native: NativeDomain;
  readonly connection: Connection;

  constructor(handle: NativeDomain, connection: Connection) {
    this.native = handle;
    this.connection = connection;
  }

  /** Cached in the handle: no round trip. */
  get name(): string {
    return this.native.getName();
  }

  /** A domain's UUID never changes: asked of the handle once (no round trip either way). */
  get uuid(): string {
    return (this.#uuid ??= this.native.getUUIDString());
  }
  #uuid: string | undefined;

  /** The running domain's ID, or -1 when inactive. */
  getID(): Promise<number> {
    return this.native.getID();
  }

  getInfo(): Promise<DomainInfo> {
    return this.native.getInfo();
  }

  getState(): Promise<DomainState> {
    return this.native.getState();
  }

  /** `flags` are VIR_DOMAIN_XML_* (e.g. VIR_DOMAIN_XML_MIGRATABLE). */
  getXMLDesc(flags = 0): Promise<string> {
    return this.native.getXMLDesc(flags);
  }

  isActive(): Promise<boolean> {
    return this.native.isActive();
  }

  isPersistent(): Promise<boolean> {
    return this.native.isPersistent();
  }

  snapshotCount(flags = 0): Promise<number> {
    return this.native.snapshotCount(flags);
  }

  /** Returns the snapshot's name. */
  createSnapshot(xml: string, flags = 0): Promise<string> {
    return this.native.createSnapshot(xml, flags);
  }

  getJobInfo(): Promise<JobInfo> {
    return this.native.getJobInfo();
  }

  /** `flags`: VIR_DOMAIN_JOB_STATS_COMPLETED for the last finished job. */
  getJobStats(flags = 0): Promise<JobStats> {
    return this.native.getJobStats(flags);
  }

  abortJob(): Promise<void> {
    return this.native.abortJob();
  }

  /**
   * Switches the running outgoing migration (started with VIR_MIGRATE_POSTCOPY) to post-copy:
   * the guest runs on the destination from now on (virDomainMigrateStartPostCopy).
   */
  migrateStartPostCopy(flags = 0): Promise<void> {
    return this.native.migrateStartPostCopy(flags);
  }

  /** The block job on `disk` (target such as `vda`, or path), or null when there is none. */
  getBlockJobInfo(disk: string, flags = 0): Promise<BlockJobInfo | null> {
    return this.native.getBlockJobInfo(disk, flags);
  }

  /** `bandwidth` in bytes/s; flags are VIR_DOMAIN_BLOCK_COPY_*. */
  blockCopy(disk: string, destXml: string, options: { bandwidth?: number; flags?: number } = {}): Promise<void> {
    return this.native.blockCopy(disk, destXml, options.bandwidth, options.flags ?? 0);
  }

  blockJobAbort(disk: string, flags = 0): Promise<void> {
    return this.native.blockJobAbort(disk, flags);
  }

  /** Starts measuring the guest's dirty-page rate over `seconds`; read it with getDirtyRate. */
  startDirtyRateCalc(seconds: number, flags = 0): Promise<void> {
    return this.native.startDirtyRateCalc(seconds, flags);
  }

  /** virDomainListGetStats for this domain: `stats` are VIR_DOMAIN_STATS_* bits. */
  getStats(stats: number, flags = 0): Promise<Record<string, number | string | boolean>> {
    return this.native.getStats(stats, flags);
  }

  /** The last dirty-rate measurement (`dirtyrate.*` fields), see startDirtyRateCalc. */
  getDirtyRate(): Promise<Record<string, number | string | boolean>> {
    return this.native.getStats(constants.VIR_DOMAIN_STATS_DIRTYRATE!, 0);
  }

  /**
   * virDomainMigrate3 to `dest`, on a native thread of its own. Resolves with
   * the domain on the destination.
   */
  async migrate3(dest: Connection, params: MigrateParams = {}, flags = 0): Promise<Domain> {
    return new Domain(await this.native.migrate3(dest.native, paramsToEntries(params), flags), dest);
  }

  /** virDomainMigrateToURI3 (peer-to-peer: the source daemon connects to `dconnuri`). */
  migrateToURI3(dconnuri: string | null, params: MigrateParams = {}, flags = 0): Promise<void> {
    return this.native.migrateToURI3(dconnuri, paramsToEntries(params), flags);
  }

  create(flags = 0): Promise<void> {
    return this.native.create(flags);
  }

  destroy(flags = 0): Promise<void> {
    return this.native.destroy(flags);
  }

  undefine(flags = 0): Promise<void> {
    return this.native.undefine(flags);
  }

  suspend(): Promise<void> {
    return this.native.suspend();
  }

  resume(): Promise<void> {
    return this.native.resume();
  }
}
