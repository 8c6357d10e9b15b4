/**
 * The shapes of the pre-migration-check framework: checks, their context,
 * the options of a migration, and the report.
 */
import type { Connection } from '../connection.js';
import type { Domain } from '../domain.js';
import type { NativeProgress } from '../native-types.js';
import type { MigrateParams, MigrationOptions } from '../options/index.js';
import type { CheckFile, Plugin } from './external.js';
import type { Facts } from './facts.js';

export type Severity = 'critical' | 'warning' | 'info';
export type CheckStatus = 'pass' | 'fail' | 'error' | 'skipped';
export type Verdict = 'allowed' | 'allowed-with-warnings' | 'blocked';
/** Where a check comes from: built in, the caller's JS, an XML check file, a native plugin. */
export type CheckOrigin = 'builtin' | 'js' | 'xml' | `plugin:${string}`;

/** What a check's run receives. */
export interface CheckContext {
  /** The domain, on the source connection. */
  domain: Domain;
  source: Connection;
  destination: Connection;
  options: Readonly<MigrationOptions>;
  /** The run's facts: each libvirt fact fetched at most once per run, shared by all checks. */
  facts: Facts;
  /** Aborted when the run is cancelled or this check times out. */
  signal: AbortSignal;
}

/** A check returns true/false, or a status with a message and details. */
export type CheckOutcome =
  | boolean
  | { status: 'pass' | 'fail'; message?: string; details?: unknown };

export interface CheckDefinition {
  /** `area.what`, e.g. `cpu.compatible`. */
  name: string;
  severity: Severity;
  /** One line. */
  description: string;
  /** What it follows: `libvirt qemu_migration.c qemuMigrationSrcIsAllowed`, `Nova live_migrate.py`, … */
  anchor?: string;
  /** How to fix a failure, for docs/checks.md and `pmc checks`. */
  remedy?: string;
  run(ctx: CheckContext): CheckOutcome | Promise<CheckOutcome>;
}

export interface CheckResult {
  name: string;
  severity: Severity;
  status: CheckStatus;
  message: string;
  details?: unknown;
  durationMs: number;
  origin: CheckOrigin;
  description?: string;
}

export interface MigrationOutcome {
  attempted: boolean;
  succeeded: boolean;
  durationMs: number;
  error: { code: string; domain: string; message: string } | null;
}

export interface Report {
  version: 1;
  domain: { name: string; uuid: string };
  source: { uri: string; hostname: string };
  destination: { uri: string; hostname: string };
  checks: CheckResult[];
  verdict: Verdict;
  migration: MigrationOutcome;
  domainLocation: 'source' | 'destination' | 'unknown';
  /** The run was cancelled (AbortSignal, Ctrl-C). */
  cancelled?: boolean;
  /** The domain changed while the checks ran, so it was not migrated. */
  stateError?: string;
}

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
  onProgress?: (progress: MigrationProgress) => void;
  /** Progress polling interval in ms (default 500). */
  progressIntervalMs?: number;
}

/** A snapshot of the migration job (virDomainGetJobStats), polled on a native thread. */
export type MigrationProgress = NativeProgress;

export type { MigrateParams, MigrationOptions };
