/**
 * Every migration option, once: named after `virsh migrate`'s, with what it
 * becomes for libvirt (a VIR_MIGRATE_* flag, a VIR_MIGRATE_PARAM_* typed
 * parameter, or a client-side action), its type, its `pmc` spelling, its help
 * line and whether check files see it. `MigrationOptions`, `MigrateParams`,
 * the packing, the CLI options, `$options` and docs/migration-options.md all
 * derive from it: adding an option is one row here (and a test).
 *
 * The TSDoc of a row is what IntelliSense shows on the option's field.
 */
import type { OptionTable } from './row.js';

/** libvirt refuses a bandwidth whose bytes/s overflow QEMU's int64 (QEMU_DOMAIN_MIG_BANDWIDTH_MAX). */
const QEMU_MAX_BANDWIDTH_MIB = 2 ** 43 - 1; // INT64_MAX / 1 MiB, rounded down
/** A Node timer holds at most 2^31 - 1 ms; --timeout is one. */
const MAX_TIMER_S = Math.floor((2 ** 31 - 1) / 1000);

export const migrationOptionTable = {
  /** Live migration: the guest keeps running while its memory is copied (VIR_MIGRATE_LIVE). */
  live: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_LIVE',
    cli: { flags: '--live' },
    help: 'live migration (the guest keeps running)',
    conflicts: ['offline'],
    checkFiles: true,
    liveOnly: true,
  },
  /** Offline migration: only the definition moves, no running guest (VIR_MIGRATE_OFFLINE). */
  offline: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_OFFLINE',
    cli: { flags: '--offline' },
    help: 'offline migration: only the definition moves (no running guest)',
    checkFiles: true,
  },
  /** Peer-to-peer: the source daemon talks to the destination (virDomainMigrateToURI3, VIR_MIGRATE_PEER2PEER). */
  p2p: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_PEER2PEER',
    cli: { flags: '--p2p' },
    help: 'peer-to-peer: the source daemon connects to the destination',
    checkFiles: true,
  },
  /** Tunnel the migration stream through the libvirt connection; needs p2p (VIR_MIGRATE_TUNNELLED). */
  tunnelled: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_TUNNELLED',
    cli: { flags: '--tunnelled' },
    help: 'tunnel the migration stream through the libvirt connection',
    needs: ['p2p'],
    checkFiles: true,
  },
  /** Persist the domain on the destination (VIR_MIGRATE_PERSIST_DEST). */
  persistent: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_PERSIST_DEST',
    cli: { flags: '--persistent' },
    help: 'persist the domain on the destination',
    checkFiles: true,
  },
  /** Undefine the domain on the source after migrating (VIR_MIGRATE_UNDEFINE_SOURCE). */
  undefineSource: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_UNDEFINE_SOURCE',
    cli: { flags: '--undefinesource' },
    help: 'undefine the domain on the source after migrating',
    checkFiles: true,
  },
  /** Leave the domain paused on the destination (VIR_MIGRATE_PAUSED). */
  suspend: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_PAUSED',
    cli: { flags: '--suspend' },
    help: 'leave the domain paused on the destination',
    checkFiles: true,
  },
  /** Copy non-shared storage, full disk copy (VIR_MIGRATE_NON_SHARED_DISK). */
  copyStorageAll: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_NON_SHARED_DISK',
    cli: { flags: '--copy-storage-all' },
    help: 'copy non-shared storage, full disk copy',
    conflicts: ['copyStorageInc'],
    checkFiles: true,
    liveOnly: true,
  },
  /** Copy non-shared storage, incremental: the backing file is shared (VIR_MIGRATE_NON_SHARED_INC). */
  copyStorageInc: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_NON_SHARED_INC',
    cli: { flags: '--copy-storage-inc' },
    help: 'copy non-shared storage, incremental (shared backing file)',
    checkFiles: true,
    liveOnly: true,
  },
  /** Mirror guest writes to both disks synchronously so the storage copy converges (VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES). */
  copyStorageSynchronousWrites: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES',
    cli: { flags: '--copy-storage-synchronous-writes' },
    help: 'write guest disk writes to source and destination synchronously, so the storage copy converges',
    needs: ['copyStorageAll', 'copyStorageInc'],
    checkFiles: true,
  },
  /** Refuse configuration changes to the domain during the migration (VIR_MIGRATE_CHANGE_PROTECTION). */
  changeProtection: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_CHANGE_PROTECTION',
    cli: { flags: '--change-protection' },
    help: 'prevent changes to the domain configuration during migration',
    checkFiles: true,
  },
  /** Migrate even when libvirt considers it unsafe, e.g. disks without cache='none' (VIR_MIGRATE_UNSAFE). */
  unsafe: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_UNSAFE',
    cli: { flags: '--unsafe' },
    help: 'force the migration even if libvirt thinks it unsafe',
    checkFiles: true,
  },
  /** Encrypt the migration streams with TLS, using the hosts' migrate_tls_x509 certificates (VIR_MIGRATE_TLS). */
  tls: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_TLS',
    cli: { flags: '--tls' },
    help: "encrypt the migration with TLS (the hosts' configured certificates)",
    checkFiles: true,
  },
  /** Zero-copy transfer of memory pages; QEMU locks the pages being sent (VIR_MIGRATE_ZEROCOPY). */
  zerocopy: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_ZEROCOPY',
    cli: { flags: '--zerocopy' },
    help: 'send memory pages without copying them (QEMU locks guest memory while queued)',
    checkFiles: true,
  },
  /** For an rdma:// migration URI: pin all guest memory before the migration starts (VIR_MIGRATE_RDMA_PIN_ALL). */
  rdmaPinAll: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_RDMA_PIN_ALL',
    cli: { flags: '--rdma-pin-all' },
    help: 'pin all guest memory at once before an RDMA migration',
    checkFiles: true,
  },
  /** Compress the memory stream; methods in `compression` (VIR_MIGRATE_COMPRESSED). */
  compressed: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_COMPRESSED',
    cli: { flags: '--compressed' },
    help: 'compress repeatedly transferred memory pages',
    checkFiles: true,
  },
  /** Compression methods: mt, xbzrle, zlib, zstd (VIR_MIGRATE_PARAM_COMPRESSION). */
  compression: {
    type: 'string-list',
    param: 'compression',
    cli: { flags: '--comp-methods <list>', choices: ['mt', 'xbzrle', 'zlib', 'zstd'] },
    help: 'comma-separated compression methods (mt, xbzrle, zlib, zstd)',
    checkFiles: true,
  },
  /** Compression level of the mt method, 0 to 9 (VIR_MIGRATE_PARAM_COMPRESSION_MT_LEVEL). */
  compressionMtLevel: {
    type: 'int',
    param: 'compression.mt.level',
    cli: { flags: '--comp-mt-level <level>', min: 0, max: 9 },
    help: 'mt compression level, 0 (none) to 9 (best)',
    checkFiles: true,
  },
  /** Compression threads on the source (VIR_MIGRATE_PARAM_COMPRESSION_MT_THREADS). */
  compressionMtThreads: {
    type: 'int',
    param: 'compression.mt.threads',
    cli: { flags: '--comp-mt-threads <n>', min: 1 },
    help: 'mt compression threads on the source',
    checkFiles: true,
  },
  /** Decompression threads on the destination (VIR_MIGRATE_PARAM_COMPRESSION_MT_DTHREADS). */
  compressionMtDthreads: {
    type: 'int',
    param: 'compression.mt.dthreads',
    cli: { flags: '--comp-mt-dthreads <n>', min: 1 },
    help: 'mt decompression threads on the destination',
    checkFiles: true,
  },
  /** Page cache of the xbzrle method, in bytes (VIR_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE). */
  compressionXbzrleCache: {
    type: 'ullong',
    param: 'compression.xbzrle.cache',
    cli: { flags: '--comp-xbzrle-cache <bytes>', min: 1 },
    help: 'xbzrle page cache size in bytes',
    checkFiles: true,
  },
  /** Throttle the guest's CPUs when the migration does not converge (VIR_MIGRATE_AUTO_CONVERGE). */
  autoConverge: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_AUTO_CONVERGE',
    cli: { flags: '--auto-converge' },
    help: 'throttle the guest CPU when the migration does not converge',
    checkFiles: true,
    liveOnly: true,
  },
  /** Initial CPU throttling, percent (VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL). */
  autoConvergeInitial: {
    type: 'int',
    param: 'auto_converge.initial',
    cli: { flags: '--auto-converge-initial <percent>', min: 0, max: 100 },
    help: 'initial CPU throttling rate',
    checkFiles: true,
  },
  /** Throttling increment, percent (VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT). */
  autoConvergeIncrement: {
    type: 'int',
    param: 'auto_converge.increment',
    cli: { flags: '--auto-converge-increment <percent>', min: 0, max: 100 },
    help: 'throttling increment',
    checkFiles: true,
  },
  /** Allow switching to post-copy (VIR_MIGRATE_POSTCOPY). */
  postcopy: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_POSTCOPY',
    cli: { flags: '--postcopy' },
    help: 'enable post-copy migration',
    checkFiles: true,
    liveOnly: true,
  },
  /**
   * Resume a post-copy migration that failed: the guest is paused on the source and exists on the
   * destination already; needs `postcopy` too (VIR_MIGRATE_POSTCOPY_RESUME).
   */
  postcopyResume: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_POSTCOPY_RESUME',
    cli: { flags: '--postcopy-resume' },
    help: 'resume a failed post-copy migration (with --postcopy)',
    checkFiles: true,
  },
  /** Bandwidth limit of the post-copy phase, MiB/s (VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY). */
  bandwidthPostcopy: {
    type: 'ullong',
    param: 'bandwidth.postcopy',
    cli: { flags: '--postcopy-bandwidth <MiB/s>', min: 1, max: QEMU_MAX_BANDWIDTH_MIB },
    help: 'post-copy bandwidth limit in MiB/s',
    checkFiles: true,
  },
  /** Abort on soft errors during the migration, e.g. I/O errors (VIR_MIGRATE_ABORT_ON_ERROR). */
  abortOnError: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_ABORT_ON_ERROR',
    cli: { flags: '--abort-on-error' },
    help: 'abort on soft errors during migration (e.g. I/O errors)',
    checkFiles: true,
  },
  /** The migration stream's URI (virsh --migrateuri), e.g. tcp://10.0.0.2:49152 (VIR_MIGRATE_PARAM_URI). */
  migrateUri: {
    type: 'string',
    param: 'migrate_uri',
    paramKey: 'uri',
    cli: { flags: '--migrateuri <uri>' },
    help: 'migration stream URI, e.g. tcp://10.0.0.2:49152 (also the third argument)',
    checkFiles: true,
    scope: 'destination',
  },
  /** Where the destination hypervisor listens for the incoming migration (VIR_MIGRATE_PARAM_LISTEN_ADDRESS). */
  listenAddress: {
    type: 'string',
    param: 'listen_address',
    cli: { flags: '--listen-address <address>' },
    help: 'address the destination hypervisor listens on for the incoming migration',
    checkFiles: true,
    scope: 'destination',
  },
  /** URI the graphics client reconnects to, e.g. spice://host2 (virsh --graphicsuri, VIR_MIGRATE_PARAM_GRAPHICS_URI). */
  graphicsUri: {
    type: 'string',
    param: 'graphics_uri',
    cli: { flags: '--graphicsuri <uri>' },
    help: 'graphics URI the client reconnects to after migration, e.g. spice://host2',
    checkFiles: true,
    scope: 'destination',
  },
  /** New name on the destination (virsh --dname, VIR_MIGRATE_PARAM_DEST_NAME). */
  destName: {
    type: 'string',
    param: 'destination_name',
    cli: { flags: '--dname <name>' },
    help: 'rename the domain on the destination',
    checkFiles: true,
    scope: 'guest',
  },
  /** Domain XML for the destination (virsh --xml, VIR_MIGRATE_PARAM_DEST_XML). Hidden from check files: it may hold a graphics password. */
  destXml: {
    type: 'string',
    param: 'destination_xml',
    cli: { flags: '--xml <file>', file: true },
    help: 'file with an updated domain XML for the destination',
    scope: 'guest',
  },
  /** Domain XML to persist on the destination (virsh --persistent-xml, VIR_MIGRATE_PARAM_PERSIST_XML). Hidden from check files. */
  persistentXml: {
    type: 'string',
    param: 'persistent_xml',
    cli: { flags: '--persistent-xml <file>', file: true },
    help: 'file with the domain XML to persist on the destination',
    scope: 'guest',
  },
  /** Bandwidth limit, MiB/s (VIR_MIGRATE_PARAM_BANDWIDTH). */
  bandwidth: {
    type: 'ullong',
    param: 'bandwidth',
    cli: { flags: '--bandwidth <MiB/s>', min: 1, max: QEMU_MAX_BANDWIDTH_MIB },
    help: 'migration bandwidth limit in MiB/s',
    checkFiles: true,
  },
  /** Several connections for the memory stream (VIR_MIGRATE_PARALLEL). */
  parallel: {
    type: 'boolean',
    flag: 'VIR_MIGRATE_PARALLEL',
    cli: { flags: '--parallel' },
    help: 'use several connections for the migration stream',
    checkFiles: true,
  },
  /** How many parallel connections; implies VIR_MIGRATE_PARALLEL (VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS). */
  parallelConnections: {
    type: 'int',
    param: 'parallel.connections',
    flag: 'VIR_MIGRATE_PARALLEL',
    cli: { flags: '--parallel-connections <n>', min: 1 },
    help: 'number of parallel connections',
    needs: ['parallel'],
    checkFiles: true,
  },
  /** Disk targets to copy, with copyStorageAll/Inc (VIR_MIGRATE_PARAM_MIGRATE_DISKS). */
  migrateDisks: {
    type: 'string-list',
    param: 'migrate_disks',
    cli: { flags: '--migrate-disks <list>' },
    help: 'comma-separated disk targets to copy',
    needs: ['copyStorageAll', 'copyStorageInc'],
    checkFiles: true,
  },
  /** Port of the destination's NBD server for storage copy (VIR_MIGRATE_PARAM_DISKS_PORT). */
  disksPort: {
    type: 'int',
    param: 'disks_port',
    cli: { flags: '--disks-port <port>', min: 1, max: 65535 },
    help: 'port the destination NBD server listens on',
    checkFiles: true,
  },
  /** URI of the destination's NBD server, e.g. tcp://host2:49153 or unix:///path (VIR_MIGRATE_PARAM_DISKS_URI). */
  disksUri: {
    type: 'string',
    param: 'disks_uri',
    cli: { flags: '--disks-uri <uri>' },
    help: 'URI of the destination NBD server for storage copy',
    checkFiles: true,
    scope: 'destination',
  },
  /** Host name the destination's TLS certificate must match, for TLS migration (VIR_MIGRATE_PARAM_TLS_DESTINATION). */
  tlsDestination: {
    type: 'string',
    param: 'tls.destination',
    cli: { flags: '--tls-destination <hostname>' },
    help: "host name the destination's TLS certificate is checked against",
    checkFiles: true,
    scope: 'destination',
  },
  /** virsh --timeout: `pmc migrate` suspends the guest when a live migration runs longer, in s. */
  timeout: {
    type: 'int',
    action: 'pmc migrate suspends the guest once the live migration has run this long',
    cliOnly: true,
    cli: { flags: '--timeout <seconds>', min: 1, max: MAX_TIMER_S },
    help: 'suspend the guest when a live migration runs longer than this',
    needs: ['live'],
    scope: 'running-migration',
  },
  /** virsh --timeout-suspend: the --timeout action made explicit (it is the default). */
  timeoutSuspend: {
    type: 'boolean',
    action: 'pmc migrate suspends the guest at the --timeout (its default action)',
    cliOnly: true,
    cli: { flags: '--timeout-suspend' },
    help: 'at the --timeout, suspend the guest (the default)',
    needs: ['timeout'],
    scope: 'running-migration',
  },
  /** virsh --timeout-postcopy: at the --timeout, switch to post-copy instead of suspending; needs `postcopy` too. */
  timeoutPostcopy: {
    type: 'boolean',
    action:
      'pmc migrate switches the migration to post-copy at the --timeout (virDomainMigrateStartPostCopy) instead of suspending the guest',
    cliOnly: true,
    cli: { flags: '--timeout-postcopy' },
    help: 'at the --timeout, switch to post-copy instead of suspending (with --postcopy)',
    needs: ['timeout'],
    conflicts: ['timeoutSuspend'],
    scope: 'running-migration',
  },
  /** virsh --postcopy-after-precopy: switch to post-copy once the first pre-copy pass is over. */
  postcopyAfterPrecopy: {
    type: 'boolean',
    action:
      'pmc migrate switches the migration to post-copy (virDomainMigrateStartPostCopy) once the first pre-copy pass is over',
    cliOnly: true,
    cli: { flags: '--postcopy-after-precopy' },
    help: 'switch to post-copy after the first pre-copy pass',
    needs: ['postcopy'],
    scope: 'running-migration',
  },
  /** For p2p: the destination URI as the source daemon sees it (default: the destination connection's URI). */
  destinationUri: {
    type: 'string',
    action: 'the dconnuri of virDomainMigrateToURI3 (p2p); the CLI passes its `desturi` argument',
    help: 'for p2p: the destination URI as the source daemon sees it',
    checkFiles: true,
    scope: 'destination',
  },
  /** Stated link speed in MiB/s, for the convergence forecast when no bandwidth limit is set. */
  linkSpeed: {
    type: 'int',
    action: 'input of the convergence forecast (migration.convergence)',
    cli: { flags: '--link-speed <MiB/s>', min: 1 },
    help: 'link speed for the convergence forecast when no --bandwidth is set',
    checkFiles: true,
  },
  /** Max downtime the forecast aims for, in ms (QEMU's default 300). */
  maxDowntimeMs: {
    type: 'int',
    action: 'input of the convergence forecast (migration.convergence)',
    help: 'downtime the convergence forecast aims for, in ms (default 300)',
    checkFiles: true,
  },
  /** How long pre-copy may take before the forecast calls it non-converging, in s. */
  convergenceTimeoutS: {
    type: 'int',
    action: 'input of the convergence forecast (migration.convergence)',
    help: 'how long pre-copy may take before the forecast calls it non-converging, in s',
    checkFiles: true,
  },
  /** Rehearse libvirt's own handshake (Begin, Prepare, then cancelled) after the checks pass: the check `migration.rehearsal` (docs/rehearsal.md). */
  rehearse: {
    type: 'boolean',
    action:
      "rehearses libvirt's handshake (Begin3, Prepare3, Finish3 and Confirm3 cancelled) after the checks pass: the check migration.rehearsal",
    cli: { flags: '--rehearse' },
    help: "rehearse libvirt's own migration handshake on both hosts (nothing moves)",
    checkFiles: true,
  },
  /** Rehearse guests a rehearsal would disturb too (managed PCI host devices, locked, preallocated or huge-page memory). */
  rehearseForce: {
    type: 'boolean',
    action: 'the rehearsal runs for guests it would disturb (managed PCI host devices, locked or preallocated memory)',
    cli: { flags: '--rehearse-force' },
    help: 'rehearse even a guest with managed PCI devices or locked/preallocated memory',
    needs: ['rehearse'],
    checkFiles: true,
  },
} as const satisfies OptionTable;

export type MigrationOptionTable = typeof migrationOptionTable;
