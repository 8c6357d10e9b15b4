/** The options of a run: a migration's, plus which checks run and how. */
import { validateMigrationOptions } from '../options/index.js';
import type { CheckFile } from './check-file.js';
import type { Plugin } from './plugin.js';
import { ServiceFactCache } from './service-facts.js';
import type { CheckDefinition, MigrationOptions, MigrationProgress } from './types.js';

/** The longest per-check timeout: the JS checks' timers hold at most 2^31 - 1 ms. */
export const MAX_CHECK_TIMEOUT_MS = 2 ** 31 - 1;

/** Options of a check run (`checkPMC`) and of `migratePMC`. */
export interface RunOptions extends MigrationOptions {
  /** Extra checks (the caller's JS checks); built-ins come first. */
  checks?: CheckDefinition[];
  /** Checks from XML check files (loadCheckFile), origin 'xml'. */
  checkFiles?: CheckFile[];
  /** Checks from native plugins (loadPlugin), origin 'plugin:<name>'. */
  plugins?: Plugin[];
  /** Leave out the built-in checks. */
  noBuiltins?: boolean;
  /** Names to mark `skipped` (the analogue of Nova's and Proxmox's force). */
  skip?: string[];
  /** Failing warnings block too. */
  strict?: boolean;
  /** List order, stopping at the first critical failure (the RFC's behaviour). */
  sequential?: boolean;
  /** Per-check timeout in ms (default 30000). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * For services: host facts kept across runs (per connection, for its TTL;
   * docs/security.md, "The service fact cache"). Without it every run asks
   * libvirt afresh. The report's `factAgesMs` says how old each fact was.
   */
  factCache?: ServiceFactCache;
  onProgress?: (progress: MigrationProgress) => void;
  /** Progress polling interval in ms (default 500). */
  progressIntervalMs?: number;
  /**
   * Escape hatch: VIR_MIGRATE_* bits ORed in. Bits the option table knows
   * become their named options (checks reason about them; a named option
   * given too wins); the others reach libvirt as they are and the built-in
   * check `migration.raw-options` warns about them.
   */
  rawMigrateFlags?: number;
  /**
   * Escape hatch: typed parameters by libvirt's field name (`bandwidth`,
   * `compression.mt.threads`, …). Known ones become their named options;
   * an unknown one needs `{ type, value }` (`int`, `ullong`, `string`,
   * `string-list`), is passed as it is, and is warned about.
   */
  rawMigrateParams?: Record<
    string,
    string | number | string[] | { type: 'int' | 'ullong' | 'string' | 'string-list'; value: unknown }
  >;
}

/** Throws for options of the wrong kind, before anything runs. */
export function validateRunOptions(options: RunOptions): void {
  validateMigrationOptions(options);
  if (
    options.timeoutMs !== undefined &&
    !(Number.isInteger(options.timeoutMs) && options.timeoutMs > 0 && options.timeoutMs <= MAX_CHECK_TIMEOUT_MS)
  ) {
    throw new RangeError(`timeoutMs must be a whole number of milliseconds from 1 to ${MAX_CHECK_TIMEOUT_MS}`);
  }
  if (
    options.progressIntervalMs !== undefined &&
    !(
      Number.isInteger(options.progressIntervalMs) &&
      options.progressIntervalMs > 0 &&
      options.progressIntervalMs <= MAX_CHECK_TIMEOUT_MS
    )
  ) {
    throw new RangeError(`progressIntervalMs must be a whole number of milliseconds from 1 to ${MAX_CHECK_TIMEOUT_MS}`);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError('signal must be an AbortSignal');
  }
  if (options.factCache !== undefined && !(options.factCache instanceof ServiceFactCache)) {
    throw new TypeError('factCache must be a ServiceFactCache');
  }
}
