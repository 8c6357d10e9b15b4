import { EventEmitter } from 'node:events';
import { constants, native } from './native.js';
import type {
  FreePagesCell,
  NativeConnection,
  NetworkInfo,
  NodeInfo,
  SecretInfo,
  StoragePoolInfo,
  StorageVolumeInfo,
} from './native-types.js';
import { Domain } from './domain.js';
import { decodeVersion, type Version } from './version.js';

export interface OpenOptions {
  readonly?: boolean;
}

/** Which hypervisor a CPU or capability question is about (all optional: libvirt picks defaults). */
export interface HypervisorTarget {
  emulator?: string;
  arch?: string;
  machine?: string;
  /** `kvm`, `qemu`, …: compare against the virt type the domain uses, or the answer is about another one. */
  virttype?: string;
}

export type CloseReason = 'error' | 'eof' | 'keepalive' | 'client' | 'unknown';

/** Result of compareHypervisorCPU (virCPUCompareResult). */
export type CpuCompareResult = 'incompatible' | 'identical' | 'superset';

const compareNames: Record<number, CpuCompareResult> = {
  [constants.VIR_CPU_COMPARE_INCOMPATIBLE!]: 'incompatible',
  [constants.VIR_CPU_COMPARE_IDENTICAL!]: 'identical',
  [constants.VIR_CPU_COMPARE_SUPERSET!]: 'superset',
};

/**
 * A connection to one libvirt daemon (or driver). Every method that talks to
 * libvirt returns a promise and runs off the JS thread. Emits `close` with a
 * reason when libvirt reports the connection closed (daemon gone, keepalive).
 */
export class Connection extends EventEmitter<{ close: [reason: CloseReason] }> {
  /** The native handle, for the framework's native calls. */
  readonly native: NativeConnection;

  private constructor(handle: NativeConnection) {
    super();
    this.native = handle;
    // The native side keeps the listener alive for as long as the connection
    // is open; a weak reference lets a dropped Connection still be collected
    // (its finalizer then closes the libvirt connection).
    const self = new WeakRef(this);
    handle.setCloseListener((reason) => self.deref()?.emit('close', reason as CloseReason));
  }

  /** Opens `uri` (null or '' for libvirt's default) through virConnectOpenAuth. */
  static async open(uri: string | null, options: OpenOptions = {}): Promise<Connection> {
    return Connection.fromNative(await native.Connection.open(uri, options.readonly ?? false));
  }

  /** Wraps a native connection the addon returned (a domain's, say). */
  static fromNative(handle: NativeConnection): Connection {
    const known = wrappers.get(handle);
    if (known) return known;
    const wrapped = new Connection(handle);
    wrappers.set(handle, wrapped);
    return wrapped;
  }

  /** Closes the connection; closing twice is fine. Calls made afterwards reject with VIR_ERR_INVALID_CONN. */
  close(): Promise<void> {
    return this.native.close();
  }

  get isOpen(): boolean {
    return this.native.isOpen();
  }

  isAlive(): Promise<boolean> {
    return this.native.isAlive();
  }

  getHostname(): Promise<string> {
    return this.native.getHostname();
  }

  getURI(): Promise<string> {
    return this.native.getURI();
  }

  /** The driver type: `QEMU`, `Test`, … */
  getType(): Promise<string> {
    return this.native.getType();
  }

  async getHypervisorVersion(): Promise<Version> {
    return decodeVersion(await this.native.getVersion());
  }

  async getLibVersion(): Promise<Version> {
    return decodeVersion(await this.native.getLibVersion());
  }

  getCapabilities(): Promise<string> {
    return this.native.getCapabilities();
  }

  getDomainCapabilities(target: HypervisorTarget = {}): Promise<string> {
    return this.native.getDomainCapabilities(
      target.emulator ?? null,
      target.arch ?? null,
      target.machine ?? null,
      target.virttype ?? null,
      0,
    );
  }

  getNodeInfo(): Promise<NodeInfo> {
    return this.native.getNodeInfo();
  }

  /** Free memory of the host in bytes. */
  getFreeMemory(): Promise<number> {
    return this.native.getFreeMemory();
  }

  /** Free pages of the given sizes (KiB): per cell from `startCell`, or for the whole host with startCell -1. */
  getFreePages(pageSizesKiB: number[], startCell = -1, cellCount = 1): Promise<FreePagesCell[]> {
    return this.native.getFreePages(pageSizesKiB, startCell, cellCount);
  }

  /** Free memory in bytes of each NUMA cell. */
  getCellsFreeMemory(startCell = 0, maxCells = 64): Promise<number[]> {
    return this.native.getCellsFreeMemory(startCell, maxCells);
  }

  async compareHypervisorCPU(xml: string, target: HypervisorTarget = {}, flags = 0): Promise<CpuCompareResult> {
    const result = await this.native.compareHypervisorCPU(
      target.emulator ?? null,
      target.arch ?? null,
      target.machine ?? null,
      target.virttype ?? null,
      xml,
      flags,
    );
    return compareNames[result] ?? 'incompatible';
  }

  baselineHypervisorCPU(xmlCPUs: string[], target: HypervisorTarget = {}, flags = 0): Promise<string> {
    return this.native.baselineHypervisorCPU(
      target.emulator ?? null,
      target.arch ?? null,
      target.machine ?? null,
      target.virttype ?? null,
      xmlCPUs,
      flags,
    );
  }

  async lookupDomainByName(name: string): Promise<Domain> {
    return new Domain(await this.native.lookupDomainByName(name), this);
  }

  async lookupDomainByUUID(uuid: string): Promise<Domain> {
    return new Domain(await this.native.lookupDomainByUUID(uuid), this);
  }

  async lookupDomainByID(id: number): Promise<Domain> {
    return new Domain(await this.native.lookupDomainByID(id), this);
  }

  /** All domains; `flags` are VIR_CONNECT_LIST_DOMAINS_* (0: all). */
  async listAllDomains(flags = 0): Promise<Domain[]> {
    return (await this.native.listAllDomains(flags)).map((d) => new Domain(d, this));
  }

  async defineDomain(xml: string, flags = 0): Promise<Domain> {
    return new Domain(await this.native.defineDomain(xml, flags), this);
  }

  /** Starts a transient domain from XML. */
  async createDomain(xml: string, flags = 0): Promise<Domain> {
    return new Domain(await this.native.createDomain(xml, flags), this);
  }

  lookupNetworkByName(name: string): Promise<NetworkInfo> {
    return this.native.lookupNetworkByName(name);
  }

  listAllNetworks(flags = 0): Promise<NetworkInfo[]> {
    return this.native.listAllNetworks(flags);
  }

  lookupStorageVolByPath(path: string): Promise<StorageVolumeInfo> {
    return this.native.lookupStorageVolByPath(path);
  }

  listAllStoragePools(flags = 0): Promise<StoragePoolInfo[]> {
    return this.native.listAllStoragePools(flags);
  }

  /** Defines a pool; with `start`, also builds it (if needed), starts it and marks it autostart. */
  defineStoragePool(xml: string, options: { start?: boolean } = {}): Promise<StoragePoolInfo> {
    return this.native.defineStoragePool(xml, options.start ?? false);
  }

  createStorageVolume(pool: string, xml: string): Promise<StorageVolumeInfo> {
    return this.native.createStorageVolume(pool, xml);
  }

  /** Deletes the volume at `path` (virStorageVolDelete) from its pool and from disk. */
  deleteStorageVolume(path: string): Promise<void> {
    return this.native.deleteStorageVolume(path);
  }

  lookupSecretByUUID(uuid: string): Promise<SecretInfo> {
    return this.native.lookupSecretByUUID(uuid);
  }

  /** `usageType` is VIR_SECRET_USAGE_TYPE_*. */
  lookupSecretByUsage(usageType: number, usageID: string): Promise<SecretInfo> {
    return this.native.lookupSecretByUsage(usageType, usageID);
  }

  defineSecret(xml: string): Promise<SecretInfo> {
    return this.native.defineSecret(xml);
  }
}

const wrappers = new WeakMap<NativeConnection, Connection>();
