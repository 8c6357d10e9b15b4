/** The shapes of what the native addon returns; the public API wraps them. */
import type { ParamEntry } from '../options/row.js';
import type { LibvirtConstantName } from '../libvirt-names.js';

export interface NodeInfo {
  model: string;
  memoryKiB: number;
  cpus: number;
  mhz: number;
  nodes: number;
  sockets: number;
  cores: number;
  threads: number;
}

export interface FreePagesCell {
  /** The NUMA cell, or -1 for the whole host. */
  cell: number;
  /** Free pages by page size in KiB. */
  freePages: Record<string, number>;
}

export interface NetworkInfo {
  name: string;
  uuid: string | null;
  active: boolean;
  persistent: boolean;
  bridge: string | null;
  xml: string;
}

export interface StoragePoolInfo {
  name: string;
  uuid: string | null;
  active: boolean;
  persistent: boolean;
  state: 'inactive' | 'building' | 'running' | 'degraded' | 'inaccessible' | 'unknown';
  capacity: number;
  allocation: number;
  available: number;
  xml: string;
}

export interface StorageVolumeInfo {
  name: string;
  key: string;
  path: string;
  pool: string | null;
  type: string;
  capacity: number;
  allocation: number;
  /** virStorageVolGetXMLDesc: its `<target><format>` is the format libvirt found. */
  xml: string;
}

export interface SecretInfo {
  uuid: string | null;
  usageType: 'none' | 'volume' | 'ceph' | 'iscsi' | 'tls' | 'vtpm';
  usageID: string | null;
  xml: string;
}

export type DomainStateName =
  'nostate' | 'running' | 'blocked' | 'paused' | 'shutdown' | 'shutoff' | 'crashed' | 'pmsuspended' | 'unknown';

export interface DomainInfo {
  state: DomainStateName;
  maxMemKiB: number;
  memoryKiB: number;
  vcpus: number;
  cpuTimeNs: number;
}

export interface DomainState {
  state: DomainStateName;
  reason: number;
  /** For a paused domain: why (`ioerror`, `migration`, `user`, …). */
  reasonName: string | null;
}

export type JobType = 'none' | 'bounded' | 'unbounded' | 'completed' | 'failed' | 'cancelled' | 'unknown';

/** A job's byte counters, all data and guest memory alone (libvirt's VIR_DOMAIN_JOB_DATA_* and VIR_DOMAIN_JOB_MEMORY_*). */
export interface JobByteCounters {
  dataTotal: number;
  dataProcessed: number;
  dataRemaining: number;
  memTotal: number;
  memProcessed: number;
  memRemaining: number;
}

export interface JobInfo extends JobByteCounters {
  type: JobType;
  timeElapsed: number;
  timeRemaining: number;
  fileTotal: number;
  fileProcessed: number;
  fileRemaining: number;
}

export interface JobStats {
  type: JobType;
  /** libvirt's typed parameters by field name (`data_processed`, `memory_dirty_rate`, …). */
  stats: Record<string, number | string | boolean>;
}

export interface BlockJobInfo {
  type: number;
  bandwidth: number;
  cur: number;
  end: number;
}

export interface NativeConnection {
  close(): Promise<void>;
  isOpen(): boolean;
  setCloseListener(listener: (reason: string) => void): void;
  /** Resolves to libvirt's callback ID (-1 when the connection closed meanwhile). */
  registerDomainEvent(event: DomainEventName, listener: (payload: never) => void): Promise<number>;
  deregisterDomainEvent(callbackId: number): Promise<void>;
  isAlive(): Promise<boolean>;
  getHostname(): Promise<string>;
  getURI(): Promise<string>;
  getType(): Promise<string>;
  getVersion(): Promise<number>;
  getLibVersion(): Promise<number>;
  getCapabilities(): Promise<string>;
  getDomainCapabilities(
    emulator: string | null,
    arch: string | null,
    machine: string | null,
    virttype: string | null,
    flags: number,
  ): Promise<string>;
  getNodeInfo(): Promise<NodeInfo>;
  getFreeMemory(): Promise<number>;
  getFreePages(pageSizesKiB: number[], startCell: number, cellCount: number): Promise<FreePagesCell[]>;
  getCellsFreeMemory(startCell: number, maxCells: number): Promise<number[]>;
  compareHypervisorCPU(
    emulator: string | null,
    arch: string | null,
    machine: string | null,
    virttype: string | null,
    xml: string,
    flags: number,
  ): Promise<number>;
  baselineHypervisorCPU(
    emulator: string | null,
    arch: string | null,
    machine: string | null,
    virttype: string | null,
    xmlCPUs: string[],
    flags: number,
  ): Promise<string>;
  lookupDomainByName(name: string): Promise<NativeDomain>;
  lookupDomainByUUID(uuid: string): Promise<NativeDomain>;
  lookupDomainByID(id: number): Promise<NativeDomain>;
  listAllDomains(flags: number): Promise<NativeDomain[]>;
  defineDomain(xml: string, flags: number): Promise<NativeDomain>;
  createDomain(xml: string, flags: number): Promise<NativeDomain>;
  lookupNetworkByName(name: string): Promise<NetworkInfo>;
  listAllNetworks(flags: number): Promise<NetworkInfo[]>;
  lookupStorageVolByPath(path: string): Promise<StorageVolumeInfo>;
  listAllStoragePools(flags: number): Promise<StoragePoolInfo[]>;
  defineStoragePool(xml: string, start: boolean): Promise<StoragePoolInfo>;
  createStorageVolume(pool: string, xml: string): Promise<StorageVolumeInfo>;
  deleteStorageVolume(path: string): Promise<void>;
  lookupSecretByUUID(uuid: string): Promise<SecretInfo>;
  lookupSecretByUsage(usageType: number, usageID: string): Promise<SecretInfo>;
  defineSecret(xml: string): Promise<SecretInfo>;
}

/** A question libvirt asks while opening a connection (virConnectCredential). */
export interface Credential {
  type: CredentialType;
  prompt: string;
  challenge?: string;
  defaultResult?: string;
}

/** virConnectCredentialType by name (`VIR_CRED_AUTHNAME` is `authname`). */
export type CredentialType =
  'username' | 'authname' | 'language' | 'cnonce' | 'passphrase' | 'echoprompt' | 'noechoprompt' | 'realm' | 'external';

export interface NativeOpenOptions {
  credentials?: CredentialType[];
  /** Called on the JS thread; `reply(null)` refuses. */
  auth?: (credentials: Credential[], reply: (answers: string[] | null) => void) => void;
  authTimeoutMs?: number;
  keepaliveInterval?: number;
  keepaliveCount?: number;
  /** The close listener, registered on the thread that opens (no round trip of its own, none on the JS thread). */
  onClose?: (reason: string) => void;
}

export interface NativeConnectionClass {
  open(uri: string | null, readonly: boolean, options?: NativeOpenOptions): Promise<NativeConnection>;
}

/** The domain events a Connection delivers (VIR_DOMAIN_EVENT_ID_LIFECYCLE, _JOB_COMPLETED, _MIGRATION_ITERATION). */
export type DomainEventName = 'lifecycle' | 'jobCompleted' | 'migrationIteration';

/** Which domain an event is about (cached in the event's handle: no lookup). */
export interface EventDomain {
  name: string;
  uuid: string;
}

export type LifecycleEventType =
  | 'defined'
  | 'undefined'
  | 'started'
  | 'suspended'
  | 'resumed'
  | 'stopped'
  | 'shutdown'
  | 'pmsuspended'
  | 'crashed'
  | 'unknown';

/** VIR_DOMAIN_EVENT_ID_LIFECYCLE: `detail` is the VIR_DOMAIN_EVENT_<EVENT>_* name in lower case (`migrated`, `destroyed`, …). */
export interface LifecycleEvent {
  domain: EventDomain;
  event: LifecycleEventType;
  detail: string;
  eventNumber: number;
  detailNumber: number;
}

/** VIR_DOMAIN_EVENT_ID_JOB_COMPLETED: the job's final statistics, as getJobStats names them. */
export interface JobCompletedEvent {
  domain: EventDomain;
  stats: Record<string, number | string | boolean>;
}

/** VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION: a new pass over the guest's memory began. */
export interface MigrationIterationEvent {
  domain: EventDomain;
  iteration: number;
}

export interface NativeDomain {
  getName(): string;
  getUUIDString(): string;
  getConnection(): NativeConnection;
  getID(): Promise<number>;
  getInfo(): Promise<DomainInfo>;
  getState(): Promise<DomainState>;
  getXMLDesc(flags: number): Promise<string>;
  isActive(): Promise<boolean>;
  isPersistent(): Promise<boolean>;
  snapshotCount(flags: number): Promise<number>;
  createSnapshot(xml: string, flags: number): Promise<string>;
  getJobInfo(): Promise<JobInfo>;
  getJobStats(flags: number): Promise<JobStats>;
  abortJob(): Promise<void>;
  migrateStartPostCopy(flags: number): Promise<void>;
  getBlockJobInfo(disk: string, flags: number): Promise<BlockJobInfo | null>;
  blockCopy(disk: string, destXml: string, bandwidth: number | undefined, flags: number): Promise<void>;
  blockJobAbort(disk: string, flags: number): Promise<void>;
  startDirtyRateCalc(seconds: number, flags: number): Promise<void>;
  getStats(stats: number, flags: number): Promise<Record<string, number | string | boolean>>;
  migrate3(dest: NativeConnection, params: readonly ParamEntry[], flags: number): Promise<NativeDomain>;
  migrateToURI3(dconnuri: string | null, params: readonly ParamEntry[], flags: number): Promise<void>;
  create(flags: number): Promise<void>;
  destroy(flags: number): Promise<void>;
  undefine(flags: number): Promise<void>;
  suspend(): Promise<void>;
  resume(): Promise<void>;
}

/** XPath results as the addon gives them: nodes are native XmlNodes. */
export type NativeXPathValue = string | number | boolean | NativeXmlNode[];
export type NativeXPathVariable = string | number | boolean | NativeXmlDocument | NativeXmlNode;
/** 'any' keeps the expression's type; the others apply XPath's string(), number(), boolean(). */
export type NativeXPathWant = 'any' | 'string' | 'number' | 'boolean';

export interface NativeXPathEvaluator {
  evaluate(
    expression: string | NativeXPathExpression,
    variables?: Record<string, NativeXPathVariable> | null,
    want?: NativeXPathWant,
  ): NativeXPathValue;
}

export interface NativeXmlDocument extends NativeXPathEvaluator {
  getRoot(): NativeXmlNode | null;
  serialize(): string;
}

export interface NativeXmlNode extends NativeXPathEvaluator {
  getName(): string;
  getType(): string;
  getText(): string;
  getAttr(name: string): string | null;
  getXml(): string;
  getLine(): number;
}

export interface NativeXPathExpression {
  getSource(): string;
}

export interface NativeCheckList {
  /** Adds a JS check; returns its index, which the runner dispatches. */
  addJs(name: string, description: string, severity: 'critical' | 'warning' | 'info', origin: string): number;
  /** A JS check settled: status 0 pass, 1 fail, 2 error; details as JSON text. */
  complete(index: number, status: number, message: string, details?: string): boolean;
  /** Many settled checks in one call (same meaning as complete). */
  completeBatch(indices: number[], statuses: number[], messages: string[], details: (string | undefined)[]): void;
  count(): number;
  /** Adds check `index` of a loaded check file (a C check, run on a worker thread). */
  addXml(file: NativeHandle<'checkFile'>, index: number, origin?: string): number;
  /** Adds check `index` of a loaded plugin. */
  addPlugin(plugin: NativeHandle<'plugin'>, index: number): number;
  /** The facts native checks read in the next run, as text; `errors` for facts libvirt could not give. */
  setFacts(values: Record<string, string>, errors: Record<string, string>): void;
}

/** An opaque native handle (a type-tagged External). */
export type NativeHandle<Kind extends string> = { readonly __handle: Kind };

export interface NativeCheckFileInfo {
  handle: NativeHandle<'checkFile'>;
  path: string;
  variables: string[];
  checks: {
    name: string;
    severity: 'critical' | 'warning' | 'info';
    description: string;
    line: number;
    variables: string[];
  }[];
}

export interface NativeGateCheckOutcome {
  name: string;
  severity: 'critical' | 'warning' | 'info';
  status: 'pass' | 'fail' | 'error';
  message: string;
}

export interface NativePluginInfo {
  handle: NativeHandle<'plugin'>;
  path: string;
  name: string;
  version: string;
  description: string;
  facts: string[];
  checks: { name: string; severity: 'critical' | 'warning' | 'info'; description: string; blocking: boolean }[];
}

export interface NativeFactSpec {
  name: string;
  kind: 'xml' | 'string' | 'number';
  meaning: string;
}

export interface NativeCancel {
  trigger(): void;
  isTriggered(): boolean;
}

export interface NativeRunOptions {
  migrate: boolean;
  sequential: boolean;
  strict: boolean;
  /** VIR_PMC_RUN_REHEARSE, VIR_PMC_RUN_REHEARSE_FORCE. */
  rehearse: boolean;
  rehearseForce: boolean;
  timeoutMs: number;
  skip: string[];
  progressIntervalMs: number;
  migrateFlags: number;
  params: readonly ParamEntry[];
  dconnuri: string | undefined;
}

export interface NativeCheckOutcome {
  name: string;
  severity: 'critical' | 'warning' | 'info';
  status: 'pass' | 'fail' | 'error' | 'skipped';
  message: string;
  details: string | null;
  durationMs: number;
  origin: string;
}

export interface NativeRunReport {
  checks: NativeCheckOutcome[];
  verdict: 'allowed' | 'allowed-with-warnings' | 'blocked';
  cancelled: boolean;
  stateError: string | null;
  migration: {
    attempted: boolean;
    succeeded: boolean;
    durationMs: number;
    error: { code: string; domain: string; message: string } | null;
  };
  migratedDomain?: NativeDomain;
}

export interface NativeProgress extends JobByteCounters {
  /** Since the migration job started. */
  elapsedMs: number;
  /** pages/s */
  memDirtyRate: number;
  iteration: number;
  /** bytes/s */
  memBps: number;
  diskTotal: number;
  diskProcessed: number;
  diskRemaining: number;
}

export interface NativeAddon {
  Connection: NativeConnectionClass;
  XmlDocument: new (text: string, name: string, maxBytes: number) => NativeXmlDocument;
  XPathExpression: new (source: string) => NativeXPathExpression;
  setXmlErrorClass(cls: new (message: string, fields: never) => Error): void;
  /** Armed with a message: an exit() that JS did not make ends the process with status 1 after printing it. */
  setExitGuard(message: string | null): void;
  CheckList: new () => NativeCheckList;
  Cancel: new () => NativeCancel;
  /** Throws an Error with code, file, line, column, check (a CheckLoadError's fields). */
  loadCheckFile(text: string, path: string, schema: string, maxBytes: number): NativeCheckFileInfo;
  /** Every check of a loaded file against one domain XML alone (`$domain`), on a thread of its own (the gate's). */
  runCheckFileOnDomain(file: NativeHandle<'checkFile'>, domainXml: string): Promise<NativeGateCheckOutcome[]>;
  loadPlugin(absolutePath: string): NativePluginInfo;
  factSpecs(): NativeFactSpec[];
  runPMC(
    domain: NativeDomain,
    destination: NativeConnection,
    list: NativeCheckList,
    options: NativeRunOptions,
    dispatch: (indices: number[]) => void,
    onProgress: ((progress: NativeProgress) => void) | undefined,
    cancel: NativeCancel,
  ): Promise<NativeRunReport>;
  /** Typed by name (`src/libvirt-names.ts`): a misspelt constant does not compile. */
  constants: Readonly<Record<LibvirtConstantName, number>>;
  /** Domain event registrations libvirt has not freed yet. */
  liveDomainEventListeners(): number;
  /** Packs typed-parameter entries as migrate3 does and reads them back: what libvirt receives. */
  packTypedParams(entries: readonly ParamEntry[]): [field: string, type: string, value: number | string][];
  libvirtVersion: number;
  setErrorClass(cls: new (message: string, fields: never) => Error): void;
}
