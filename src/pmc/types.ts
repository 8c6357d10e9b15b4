/**
 * The shapes of the pre-migration-check framework: checks, their context,
 * the options of a migration, and the report. The options of a run are in
 * ./run-options.ts (they name the loaded check files and plugins).
 */
import type { Connection } from '../binding/connection.js';
import type { Domain } from '../binding/domain.js';
import type { NativeProgress } from '../binding/native-types.js';
import type { MigrateParams, MigrationOptions } from '../options/index.js';
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

/**
 * A check returns true/false, or a status with a message and details. `skipped`
 * says the check does not apply to this migration (an offline one, a paused
 * guest, …): its message says why, and it never blocks.
 */
export type CheckOutcome =
  | boolean
  | { status: 'pass' | 'fail'; message?: string; details?: unknown }
  | { status: 'skipped'; message: string; details?: unknown };

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
  /**
   * Set when the check does not apply to an offline migration (libvirt moves
   * only the definition and starts nothing on the destination): what that
   * means for this check. The check is then reported skipped with it, unrun.
   */
  offline?: string;
  run(ctx: CheckContext): CheckOutcome | Promise<CheckOutcome>;
}

/** A check of a check file or plugin, as `pmc checks` lists it. */
export interface ExternalCheck {
  name: string;
  severity: Severity;
  description: string;
  origin: CheckOrigin;
  /** The check file or plugin it comes from. */
  anchor: string;
  /** Check files: the line of its <check>. */
  line?: number;
}

/**
 * One check in the report: its definition's name, severity and origin, and
 * how it ended. Not to be confused with C's virPMCResult, what a check fills in.
 */
export interface CheckReportEntry {
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
  checks: CheckReportEntry[];
  verdict: Verdict;
  migration: MigrationOutcome;
  domainLocation: 'source' | 'destination' | 'unknown';
  /** The run was cancelled (AbortSignal, Ctrl-C). */
  cancelled?: boolean;
  /**
   * How old each libvirt fact the run used was when the run first asked for
   * it, in ms, by fact (`destination.capabilities`, `domain.state`, …): 0 for
   * one asked by this run, more for one kept by a service's fact cache
   * (RunOptions.factCache). Absent from reports of versions before it.
   */
  factAgesMs?: Record<string, number>;
  /** The domain changed while the checks ran, so it was not migrated. */
  stateError?: string;
}

/** @deprecated The report entry of one check, now named CheckReportEntry. */
export type CheckResult = CheckReportEntry;

/** A snapshot of the migration job (virDomainGetJobStats), polled on a native thread. */
export type MigrationProgress = NativeProgress;

export type { MigrateParams, MigrationOptions };
