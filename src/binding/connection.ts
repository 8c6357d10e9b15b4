import { EventEmitter } from 'node:events';
import { PmcError } from '../errors.js';
import { constants, native } from './native.js';
import type {
  Credential,
  CredentialType,
  DomainEventName,
  FreePagesCell,
  JobCompletedEvent,
  LifecycleEvent,
  MigrationIterationEvent,
  NativeConnection,
  NativeOpenOptions,
  NetworkInfo,
  NodeInfo,
  SecretInfo,
  StoragePoolInfo,
  StorageVolumeInfo,
} from './native-types.js';
import { Domain } from './domain.js';
import { decodeVersion, type Version } from './version.js';
import { invalidArgument } from '../errors.js';

export interface OpenOptions {
  readonly?: boolean;
  /**
   * Credentials from code (virConnectOpenAuth): libvirt asks, on the thread
   * that opens the connection, for the `credentials` types it needs; `callback`
   * runs on the JS thread and answers each question in order (a string per
   * credential). Throwing, rejecting or answering the wrong count fails the
   * open (VIR_ERR_AUTH_*); so does no answer within `timeoutMs` (default 60 000).
   */
  auth?: {
    credentials: CredentialType[];
    callback: (credentials: Credential[]) => Promise<string[]> | string[];
    timeoutMs?: number;
  };
  /**
   * virConnectSetKeepAlive: a keepalive every `intervalS` seconds of silence,
   * the connection closed (event `close`, reason `keepalive`) after `count`
   * unanswered ones. `intervalS` ≤ 0 disables it. Default 5 s × 3, ignored by
   * drivers without keepalive; given explicitly, such a driver fails the open
   * (VIR_ERR_NO_SUPPORT).
   */
  keepalive?: { intervalS: number; count: number };
}

/** The events of a Connection; the domain events are libvirt's for every domain of the connection. */
export interface ConnectionEvents {
  close: [reason: CloseReason];
  lifecycle: [event: LifecycleEvent];
  jobCompleted: [event: JobCompletedEvent];
  migrationIteration: [event: MigrationIterationEvent];
}

export interface OnceOptions<T> {
  /** Rejects the promise (with the signal's reason) and removes the listener when aborted. */
  signal?: AbortSignal;
  /** Only an event for which this returns true settles the promise (e.g. one domain's). */
  filter?: (event: T) => boolean;
}

const domainEvents: readonly DomainEventName[] = ['lifecycle', 'jobCompleted', 'migrationIteration'];

function isDomainEvent(name: string | symbol): name is DomainEventName {
  return domainEvents.includes(name as DomainEventName);
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * The close listener an open registers on its own thread, before the
 * Connection exists: it emits on the connection once one points it there
 * (weakly, as weakEmitter below, so that it keeps no Connection alive).
 */
class CloseRelay {
  target: WeakRef<Connection> | undefined;
  readonly emit = (reason: string): void => {
    (this.target?.deref() as EventEmitter | undefined)?.emit('close', reason);
  };
}

/**
 * A listener for the native side that emits on the connection while it lives.
 * Made here, outside the class: a closure made in a method shares that
 * method's scope, which holds `this` as soon as any closure there uses it, and
 * the native side holds its listeners strongly.
 */
function weakEmitter(self: WeakRef<Connection>, name: keyof ConnectionEvents): (payload: unknown) => void {
  return (payload) => {
    const target = self.deref() as EventEmitter | undefined;
    target?.emit(name, payload);
  };
}

function nativeOpenOptions(options: OpenOptions): NativeOpenOptions {
  const out: NativeOpenOptions = {};
  if (options.keepalive) {
    const { intervalS, count } = options.keepalive;
    if (!Number.isInteger(intervalS) || intervalS < -1 || intervalS > INT32_MAX) {
      throw invalidArgument('keepalive.intervalS', `an integer from -1 to ${INT32_MAX} (≤ 0 disables)`, intervalS);
    }
    if (!Number.isInteger(count) || count < 0 || count > INT32_MAX) {
      throw invalidArgument('keepalive.count', `an integer from 0 to ${INT32_MAX}`, count);
    }
    out.keepaliveInterval = intervalS;
    out.keepaliveCount = count;
  }
  if (options.auth) {
    const { credentials, callback, timeoutMs = 60_000 } = options.auth;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > INT32_MAX) {
      throw invalidArgument('auth.timeoutMs', `an integer from 1 to ${INT32_MAX}`, timeoutMs);
    }
    out.credentials = [...credentials];
    out.authTimeoutMs = timeoutMs;
    out.auth = (questions, reply) => {
      Promise.resolve()
        .then(() => callback(questions))
        .then(
          (answers) => reply(Array.isArray(answers) && answers.every((a) => typeof a === 'string') ? answers : null),
          () => reply(null),
        );
    };
  }
  return out;
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

/** libvirt's answer by name; asked on use, not at import (the addon loads on first use). */
function compareName(result: number): CpuCompareResult {
  if (result === constants.VIR_CPU_COMPARE_IDENTICAL) return 'identical';
  if (result === constants.VIR_CPU_COMPARE_SUPERSET) return 'superset';
  return 'incompatible';
}

/**
 * A connection to one libvirt daemon (or driver). Every method that talks to
 * libvirt returns a promise and runs off the JS thread. Emits `close` with a
 * reason when libvirt reports the connection closed (daemon gone, keepalive).
 */
export class Connection extends EventEmitter<ConnectionEvents> implements AsyncDisposable {
  /** The native handle, for the framework's native calls. */
  readonly native: NativeConnection;
  /** Per domain event with listeners: its libvirt registration (callback ID), possibly still in flight. */
  private readonly registrations = new Map<DomainEventName, Promise<number>>();
  /**
   * Per domain event, the last registration or deregistration queued: they run
   * in order, since libvirt refuses a second registration of the same event
   * while the previous one is still there ("event callback already tracked").
   */
  private readonly eventCalls = new Map<DomainEventName, Promise<unknown>>();
  /** The promises of `once` still waiting: they reject when the connection closes, by either side. */
  private readonly waiting = new Set<(why: string) => void>();
  private closed = false;

  /** `closeRelay`: the close listener the open registered already, to point at this connection. */
  private constructor(handle: NativeConnection, closeRelay?: CloseRelay) {
    super();
    this.native = handle;
    // libvirt is asked for a domain event while it has listeners here: the
    // first listener registers it, the last one removed deregisters it.
    const untyped = this as EventEmitter;
    untyped.on('newListener', (name: string | symbol) => {
      if (isDomainEvent(name) && this.listenerCount(name) === 0) this.register(name);
    });
    untyped.on('removeListener', (name: string | symbol) => {
      if (isDomainEvent(name) && this.listenerCount(name) === 0) this.deregister(name);
    });
    // The native side keeps the listener alive for as long as the connection
    // is open; a weak reference lets a dropped Connection still be collected
    // (its finalizer then closes the libvirt connection).
    if (closeRelay) closeRelay.target = new WeakRef(this);
    else handle.setCloseListener(weakEmitter(new WeakRef(this), 'close') as (reason: string) => void);
    this.on('close', (reason) => this.settleWaiting(`libvirt closed it (${reason})`));
  }

  private settleWaiting(why: string): void {
    this.closed = true;
    for (const reject of [...this.waiting]) reject(why);
  }

  /** Opens `uri` (null or '' for libvirt's default) through virConnectOpenAuth. */
  static async open(uri: string | null, options: OpenOptions = {}): Promise<Connection> {
    const closeRelay = new CloseRelay();
    const handle = await native.Connection.open(uri, options.readonly ?? false, {
      ...nativeOpenOptions(options),
      onClose: closeRelay.emit,
    });
    return Connection.fromNative(handle, closeRelay);
  }

  /** Wraps a native connection the addon returned (a domain's, say). */
  static fromNative(handle: NativeConnection, closeRelay?: CloseRelay): Connection {
    const known = wrappers.get(handle);
    if (known) return known;
    const wrapped = new Connection(handle, closeRelay);
    wrappers.set(handle, wrapped);
    return wrapped;
  }

  /**
   * Closes the connection (deregistering its domain events); closing twice is
   * fine. Calls made afterwards reject with VIR_ERR_INVALID_CONN.
   */
  close(): Promise<void> {
    this.registrations.clear();
    this.settleWaiting('closed by its owner');
    return this.native.close();
  }

  /** `await using conn = await Connection.open(uri)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Resolves once libvirt has every domain event this connection has
   * listeners for registered (registering is a call to the daemon): await it
   * before an action whose events you need. Rejects if a registration failed.
   */
  async eventsReady(): Promise<void> {
    await Promise.all(this.registrations.values());
  }

  /**
   * The callback form of EventEmitter's `once`, or, given options (or nothing), a promise of the next event,
   * which rejects (ERR_PMC_CONNECTION_CLOSED) when the connection closes first, or is closed already
   * (`once('close')` too: a close is reported once).
   */
  override once<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): this;
  override once<K extends keyof ConnectionEvents>(
    event: K,
    options?: OnceOptions<ConnectionEvents[K][0]>,
  ): Promise<ConnectionEvents[K][0]>;
  override once<K extends keyof ConnectionEvents>(
    event: K,
    arg?: ((...args: ConnectionEvents[K]) => void) | OnceOptions<ConnectionEvents[K][0]>,
  ): this | Promise<ConnectionEvents[K][0]> {
    if (typeof arg === 'function') return super.once(event, arg as never);
    const { signal, filter } = arg ?? {};
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onClosed = (why: string): void => {
        done();
        reject(new PmcError(`the connection closed before a ${event} event came: ${why}`, 'ERR_PMC_CONNECTION_CLOSED'));
      };
      // A close too: libvirt reports a connection's close once, and never after its owner closed it.
      if (this.closed)
        return reject(
          new PmcError(
            `the connection closed before a ${event} event came: it was closed already`,
            'ERR_PMC_CONNECTION_CLOSED',
          ),
        );
      const listener = (value: ConnectionEvents[K][0]): void => {
        if (filter && !filter(value)) return;
        done();
        resolve(value);
      };
      const onAbort = (): void => {
        done();
        reject(signal?.reason);
      };
      const done = (): void => {
        this.off(event, listener as never);
        this.waiting.delete(onClosed);
        signal?.removeEventListener('abort', onAbort);
      };
      this.on(event, listener as never);
      // A close event settles a once('close') by itself (its listener runs first).
      if (event !== 'close') this.waiting.add(onClosed);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private register(name: DomainEventName): void {
    // Weak, like the close listener: libvirt's registration must not keep a dropped Connection alive.
    const emit = weakEmitter(new WeakRef(this), name) as (payload: never) => void;
    const pending = this.inOrder(name, () => this.native.registerDomainEvent(name, emit));
    this.registrations.set(name, pending);
    // eventsReady() reports a failure; no unhandled rejection here. A later
    // on() registers again.
    pending.catch(() => {
      if (this.registrations.get(name) === pending) this.registrations.delete(name);
    });
  }

  private deregister(name: DomainEventName): void {
    const pending = this.registrations.get(name);
    if (!pending) return;
    this.registrations.delete(name);
    this.inOrder(name, async () => {
      const id = await pending.catch(() => -1);
      if (id >= 0) await this.native.deregisterDomainEvent(id);
    }).catch(() => {});
  }

  private inOrder<T>(name: DomainEventName, call: () => Promise<T>): Promise<T> {
    const previous = this.eventCalls.get(name) ?? Promise.resolve();
    const next = previous.then(call, call);
    this.eventCalls.set(
      name,
      next.catch(() => {}),
    );
    return next;
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
    return compareName(result);
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
