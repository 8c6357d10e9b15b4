/**
 * The options of `pmc migrate` and `pmc check`, named after `virsh migrate`'s,
 * and their translation into RunOptions. Both commands take the same set
 * because the checks' verdicts depend on them (e.g. --copy-storage-all).
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CliError } from '../errors.js';
import type { RunOptions } from '../pmc/run-options.js';
import { debugOption } from './errors.js';
import { addExternalCheckOptions, type ExternalCheckCliOptions } from './external-checks.js';

function wholeNumber(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`Expected a whole number${min > 0 ? ` of at least ${min}` : ''}.`);
    }
    return n;
  };
}

/** virsh takes lists comma-separated (--migrate-disks vda,vdb); repeating the option adds to the list. */
function commaList(value: string, previous: string[] = []): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s.length === 0)) throw new InvalidArgumentError('empty item in the list.');
  return [...previous, ...items];
}

/** What commander hands the action: virsh's names, camel-cased. */
export interface MigrationCliOptions extends ExternalCheckCliOptions {
  pmc?: boolean;
  live?: boolean;
  offline?: boolean;
  p2p?: boolean;
  direct?: boolean;
  tunnelled?: boolean;
  persistent?: boolean;
  undefinesource?: boolean;
  suspend?: boolean;
  copyStorageAll?: boolean;
  copyStorageInc?: boolean;
  changeProtection?: boolean;
  unsafe?: boolean;
  compressed?: boolean;
  compMethods?: string[];
  autoConverge?: boolean;
  autoConvergeInitial?: number;
  autoConvergeIncrement?: number;
  postcopy?: boolean;
  abortOnError?: boolean;
  migrateuri?: string;
  listenAddress?: string;
  dname?: string;
  xml?: string;
  persistentXml?: string;
  bandwidth?: number;
  parallel?: boolean;
  parallelConnections?: number;
  migrateDisks?: string[];
  disksPort?: number;
  timeout?: number;
  verbose?: boolean;
  skipCheck?: string[];
  strict?: boolean;
  sequential?: boolean;
  checkTimeout?: number;
  linkSpeed?: number;
  json?: boolean;
  color?: boolean;
  debug?: boolean;
}

/** Adds the virsh migrate option set and ours to `command`. */
export function addMigrationOptions(command: Command): Command {
  const virsh = command
      .option('--live', 'live migration (the guest keeps running)')
      .option('--offline', 'offline migration: only the definition moves (no running guest)')
      .option('--p2p', 'peer-to-peer: the source daemon connects to the destination')
      .addOption(new Option('--direct', 'direct migration (not supported: the QEMU driver has none)'))
      .option('--tunnelled', 'tunnel the migration stream through the libvirt connection (needs --p2p)')
      .option('--persistent', 'persist the domain on the destination')
      .option('--undefinesource', 'undefine the domain on the source after migrating')
      .option('--suspend', 'leave the domain paused on the destination')
      .option('--copy-storage-all', 'copy non-shared storage, full disk copy')
      .option('--copy-storage-inc', 'copy non-shared storage, incremental (shared backing file)')
      .option('--change-protection', 'prevent changes to the domain configuration during migration')
      .option('--unsafe', 'force the migration even if libvirt thinks it unsafe')
      .option('--compressed', 'compress repeatedly transferred memory pages')
      .option('--comp-methods <list>', 'comma-separated compression methods (mt, xbzrle, zlib, zstd)', commaList)
      .option('--auto-converge', 'throttle the guest CPU when the migration does not converge')
      .option('--auto-converge-initial <percent>', 'initial CPU throttling rate', wholeNumber(0))
      .option('--auto-converge-increment <percent>', 'throttling increment', wholeNumber(0))
      .option('--postcopy', 'enable post-copy migration')
      .option('--abort-on-error', 'abort on soft errors during migration (e.g. I/O errors)')
      .option('--migrateuri <uri>', 'migration stream URI, e.g. tcp://10.0.0.2:49152 (also the third argument)')
      .option('--listen-address <address>', 'address the destination hypervisor listens on for the incoming migration')
      .option('--dname <name>', 'rename the domain on the destination')
      .option('--xml <file>', 'file with an updated domain XML for the destination')
      .option('--persistent-xml <file>', 'file with the domain XML to persist on the destination')
      .option('--bandwidth <MiB/s>', 'migration bandwidth limit in MiB/s', wholeNumber(1))
      .option('--parallel', 'use several connections for the migration stream')
      .option('--parallel-connections <n>', 'number of parallel connections (with --parallel)', wholeNumber(1))
      .option('--migrate-disks <list>', 'comma-separated disk targets to copy (with --copy-storage-*)', commaList)
      .option('--disks-port <port>', 'port the destination NBD server listens on', wholeNumber(1))
      .option('--timeout <seconds>', 'suspend the guest when a live migration runs longer than this', wholeNumber(1))
      .option('--verbose', 'show migration progress (also when not on a terminal)')
      // Ours: the checks and the output.
      .option('--skip-check <name>', 'mark a check skipped (repeatable; or comma-separated)', commaList);
  // --checks-file and --plugin here, so --help lists them where they always were.
  return (
    addExternalCheckOptions(virsh)
      .option('--strict', 'failing warnings block the migration too')
      .option('--sequential', 'run checks one by one in list order, stopping at the first critical failure')
      .option('--check-timeout <ms>', 'per-check timeout in milliseconds (default 30000)', wholeNumber(1))
      .option('--link-speed <MiB/s>', 'link speed for the convergence forecast when no --bandwidth is set', wholeNumber(1))
      .option('--json', 'print the report as JSON (docs/report.schema.json)')
      .option('--no-color', 'no colour (NO_COLOR is honoured too)')
      .addOption(debugOption())
  );
}

function readXmlFile(option: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new CliError(`${option}: cannot read ${file} (${reason})`);
  }
}

/**
 * Validates the combination the way virsh and libvirt would, but before any
 * connection is opened, and turns it into RunOptions.
 */
export function toRunOptions(opts: MigrationCliOptions, migrateUriArg: string | undefined, withChecks: boolean): RunOptions {
  if (opts.direct) {
    throw new CliError('--direct is not supported: libvirt\'s QEMU driver has no direct migration; use the default (managed) migration or --p2p');
  }
  if (opts.live && opts.offline) throw new CliError('--live and --offline are mutually exclusive');
  if (opts.copyStorageAll && opts.copyStorageInc) {
    throw new CliError('--copy-storage-all and --copy-storage-inc are mutually exclusive');
  }
  if (opts.tunnelled && !opts.p2p) throw new CliError('--tunnelled needs --p2p');
  if (opts.parallelConnections !== undefined && !opts.parallel) {
    throw new CliError('--parallel-connections needs --parallel');
  }
  if (opts.timeout !== undefined && !opts.live) throw new CliError('--timeout needs --live');
  if (opts.migrateDisks && !opts.copyStorageAll && !opts.copyStorageInc) {
    throw new CliError('--migrate-disks needs --copy-storage-all or --copy-storage-inc');
  }
  if (opts.skipCheck && !withChecks) throw new CliError('--skip-check needs --pmc (without it no check runs)');
  if ((opts.checksFile || opts.plugin) && !withChecks) {
    throw new CliError(`${opts.checksFile ? '--checks-file' : '--plugin'} needs --pmc (without it no check runs)`);
  }
  if (migrateUriArg !== undefined && opts.migrateuri !== undefined && migrateUriArg !== opts.migrateuri) {
    throw new CliError('the migration URI is given twice (argument and --migrateuri)');
  }
  const migrateUri = opts.migrateuri ?? migrateUriArg;

  const run: RunOptions = {
    live: opts.live,
    offline: opts.offline,
    p2p: opts.p2p,
    tunnelled: opts.tunnelled,
    persistent: opts.persistent,
    undefineSource: opts.undefinesource,
    suspend: opts.suspend,
    copyStorageAll: opts.copyStorageAll,
    copyStorageInc: opts.copyStorageInc,
    changeProtection: opts.changeProtection,
    unsafe: opts.unsafe,
    compressed: opts.compressed,
    compression: opts.compMethods,
    autoConverge: opts.autoConverge,
    autoConvergeInitial: opts.autoConvergeInitial,
    autoConvergeIncrement: opts.autoConvergeIncrement,
    postcopy: opts.postcopy,
    abortOnError: opts.abortOnError,
    migrateUri,
    listenAddress: opts.listenAddress,
    destName: opts.dname,
    destXml: opts.xml !== undefined ? readXmlFile('--xml', opts.xml) : undefined,
    persistentXml: opts.persistentXml !== undefined ? readXmlFile('--persistent-xml', opts.persistentXml) : undefined,
    bandwidth: opts.bandwidth,
    parallel: opts.parallel,
    parallelConnections: opts.parallelConnections,
    migrateDisks: opts.migrateDisks,
    disksPort: opts.disksPort,
    linkSpeed: opts.linkSpeed,
    skip: opts.skipCheck,
    strict: opts.strict,
    sequential: opts.sequential,
    timeoutMs: opts.checkTimeout,
    // Without --pmc, `pmc migrate` is plain `virsh migrate`: no checks, still one report.
    noBuiltins: !withChecks,
  };
  // Leave unset options out, so the checks see exactly what was asked.
  for (const key of Object.keys(run) as (keyof RunOptions)[]) if (run[key] === undefined) delete run[key];
  return run;
}
