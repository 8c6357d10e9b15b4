/**
 * A host's evacuation, executed: the plan's guests migrate (each checked again
 * right before its own migration, through `domain.migratePMC`), up to
 * `maxParallel` at once; a guest whose planned destination a re-check blocks
 * tries the next allowed candidate of its ranking. An abort starts nothing new
 * and aborts what runs; every guest's place is then asked of both hosts.
 */
import { listChecks } from '../api.js'; // also attaches domain.migratePMC
import { Connection } from '../binding/connection.js';
import type { Domain } from '../binding/domain.js';
import { invalidArgument, InvalidArgumentError, isLibvirtError } from '../errors.js';
import type { RunOptions } from '../pmc/run-options.js';
import type { MigrationOutcome, MigrationProgress, Report } from '../pmc/types.js';
import { locateGuest } from '../pmc/locate-guest.js';
import { allows, blockingChecks } from '../pmc/verdict.js';
import { guestRunOptions } from './plan.js';
import { parseCallerEvacuation } from './plan-file.js';
import type { EvacuationGuest, EvacuationPlan, EvacuationReport } from './types.js';

/** The default number of migrations at once (issue 15; Nova's max_concurrent_live_migrations is 1). */
export const DEFAULT_MAX_PARALLEL = 2;
/** More at once only competes for the same links and CPUs. */
export const MAX_PARALLEL = 64;

/** One step of one guest's evacuation, for progress displays. */
export type EvacuationProgress =
  | { event: 'started'; domain: string; destination: string }
  | { event: 'progress'; domain: string; destination: string; progress: MigrationProgress }
  | { event: 'finished'; domain: string; guest: EvacuationGuest };

export interface EvacuateOptions {
  /** Migrations at once, 1 to MAX_PARALLEL (default 2). */
  maxParallel?: number;
  /** Abort: nothing new starts, running migrations are aborted (post-copy ones finish). */
  signal?: AbortSignal;
  onProgress?: (progress: EvacuationProgress) => void;
  /** Failing warnings block too; default the plan's `options.strict`. */
  strict?: boolean;
  /**
   * Opens the connection of a URI (the source's and the candidates'); the caller
   * owns what it returns. Without it, evacuate opens its own and closes them.
   */
  connect?: (uri: string) => Promise<Connection>;
  /** What a plan cannot hold: the caller's checks, check files, plugins, and how checks run. */
  run?: Pick<RunOptions, 'checks' | 'checkFiles' | 'plugins' | 'noBuiltins' | 'sequential' | 'progressIntervalMs'>;
}

function notAttempted(error: MigrationOutcome['error'] = null): MigrationOutcome {
  return { attempted: false, succeeded: false, durationMs: 0, error };
}

function outcomeError(error: unknown): NonNullable<MigrationOutcome['error']> {
  if (error instanceof Error) {
    const { code, domain } = error as { code?: unknown; domain?: unknown };
    return {
      code: typeof code === 'string' ? code : 'ERR_PMC',
      domain: typeof domain === 'string' ? domain : 'VIR_FROM_NONE',
      message: error.message,
    };
  }
  return { code: 'ERR_PMC', domain: 'VIR_FROM_NONE', message: String(error) };
}

/** The checks that decided a blocked verdict (blockingChecks), with their messages, for `reason`. */
export function blockers(report: Pick<Report, 'checks'>, strict: boolean): string {
  const blocking = new Set(blockingChecks(report, strict));
  const names = report.checks.filter((c) => blocking.has(c.name)).map((c) => `${c.name}: ${c.message}`);
  return names.join('; ') || 'blocked';
}

/**
 * What became of a guest whose migration to `uri` ran, for `reason`; `blocked`
 * lists the candidates the re-check blocked first. An abort that came once the
 * guest was in post-copy (or its migration completing) cannot take it back:
 * libvirt finishes it, and the reason says so.
 */
export function migrationReason(
  uri: string,
  report: Pick<Report, 'cancelled' | 'stateError' | 'migration'>,
  blocked: readonly string[] = [],
): string {
  const first = blocked.length > 0 ? `the re-check blocked ${blocked.join(', ')}; ` : '';
  if (report.cancelled && report.migration.succeeded)
    return `${first}migrated to ${uri}: interrupted too late (in post-copy, or completing), it finished there`;
  if (report.cancelled) return `${first}interrupted`;
  if (report.stateError) return `${first}not migrated: ${report.stateError}`;
  if (report.migration.succeeded) return `${first}migrated to ${uri}`;
  return `${first}migration failed: ${report.migration.error?.message ?? 'unknown error'}`;
}

async function lookupByUUID(conn: Connection, uuid: string): Promise<Domain | null> {
  try {
    return await conn.lookupDomainByUUID(uuid);
  } catch (error) {
    if (isLibvirtError(error, 'VIR_ERR_NO_DOMAIN')) return null;
    throw error;
  }
}

/**
 * A plan that skips a check this execution does not have (the built-ins, and
 * the checks, files and plugins of `run`) is refused before anything is
 * dialled, rather than found wrong at every guest's re-check.
 */
function refuseUnknownSkips(plan: EvacuationPlan, run: EvacuateOptions['run'] = {}): void {
  const { checks, checkFiles, plugins, noBuiltins } = run;
  const known = new Set(listChecks({ checks, checkFiles, plugins, noBuiltins }).map((c) => c.name));
  const unknown = (plan.options.skip ?? []).filter((name) => !known.has(name));
  if (unknown.length > 0)
    throw new InvalidArgumentError(
      `the plan skips ${unknown.join(', ')}: no such check in this run (pmc checks lists them)`,
    );
}

/** The migration options of one guest: the plan's, as the plan assessed them (offline for a shut-off guest). */
function optionsOf(plan: EvacuationPlan, guest: EvacuationGuest, strict: boolean): RunOptions {
  const { includeInactive: _all, reserveMemoryMiB: _reserve, ...saved } = plan.options;
  return guestRunOptions({ ...saved, strict }, guest.offline);
}

/**
 * Executes a plan (`planEvacuation`'s, or a saved one: `parseEvacuation` first, the rule for files).
 * Resolves with the report: the plan's guests, each with its migration's
 * outcome and where it is now, asked of both hosts. Rejects only when the
 * source cannot be reached; a destination that cannot is that guest's error.
 */
export async function evacuate(plan: EvacuationPlan, options: EvacuateOptions = {}): Promise<EvacuationReport> {
  plan = parseCallerEvacuation(plan);
  refuseUnknownSkips(plan, options.run);
  const maxParallel = options.maxParallel ?? DEFAULT_MAX_PARALLEL;
  if (!Number.isInteger(maxParallel) || maxParallel < 1 || maxParallel > MAX_PARALLEL) {
    throw invalidArgument('maxParallel', `a whole number from 1 to ${MAX_PARALLEL}`, maxParallel);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw invalidArgument('signal', 'an AbortSignal', options.signal);
  }
  const strict = options.strict ?? plan.options.strict ?? false;
  const signal = options.signal;
  const owned: Promise<Connection>[] = [];
  const connections = new Map<string, Promise<Connection>>();
  const connect = (uri: string): Promise<Connection> => {
    let conn = connections.get(uri);
    if (!conn) {
      conn = options.connect ? options.connect(uri) : Connection.open(uri);
      if (!options.connect) owned.push(conn);
      connections.set(uri, conn);
    }
    return conn;
  };

  try {
    const source = await connect(plan.source);
    const guests: EvacuationGuest[] = plan.guests.map((g) => ({ ...g, ranking: g.ranking.map((r) => ({ ...r })) }));
    let next = 0;

    const runGuest = async (guest: EvacuationGuest): Promise<void> => {
      const tried: string[] = [];
      const candidates = [
        ...(guest.destination !== null ? [guest.destination] : []),
        ...guest.ranking.filter((r) => r.uri !== guest.destination && allows(r.verdict, strict)).map((r) => r.uri),
      ];
      for (const uri of candidates) {
        if (signal?.aborted) break;
        let dest: Connection;
        let dom: Domain | null;
        try {
          dest = await connect(uri);
          dom = await lookupByUUID(source, guest.uuid);
        } catch (error) {
          guest.migration = notAttempted(outcomeError(error));
          guest.reason = `cannot reach ${uri}: ${guest.migration.error!.message}`;
          continue; // the next candidate may answer
        }
        if (!dom) {
          guest.reason = 'no longer on the source';
          guest.migration = notAttempted();
          break;
        }
        // The plan names a guest twice over; both must agree, or the report would name one guest and move another.
        if (dom.name !== guest.domain) {
          guest.reason = `not moved: the source's guest ${guest.uuid} is named ${dom.name}, not ${guest.domain} as the plan says`;
          guest.migration = notAttempted();
          break;
        }
        options.onProgress?.({ event: 'started', domain: guest.domain, destination: uri });
        const run: RunOptions = {
          ...options.run,
          ...optionsOf(plan, guest, strict),
          ...(signal ? { signal } : {}),
          onProgress: (progress) =>
            options.onProgress?.({ event: 'progress', domain: guest.domain, destination: uri, progress }),
        };
        // Peer-to-peer: the source daemon dials the candidate's URI, as virsh does.
        if (run.p2p && run.destinationUri === undefined) run.destinationUri = uri;
        let report: Report;
        try {
          report = await dom.migratePMC(dest, run);
        } catch (error) {
          guest.destination = uri;
          guest.migration = notAttempted(outcomeError(error));
          guest.reason = `not migrated: ${guest.migration.error!.message}`;
          guest.domainLocation = await locateGuest(guest.uuid, source, dest);
          return;
        }
        guest.verdict = report.verdict;
        guest.migration = report.migration;
        guest.domainLocation = report.domainLocation;
        if (report.verdict === 'blocked' && !report.migration.attempted && !report.cancelled) {
          tried.push(`${uri} (${blockers(report, strict)})`);
          continue;
        }
        guest.destination = uri;
        guest.reason = migrationReason(uri, report, tried);
        return;
      }
      // Not moved: blocked everywhere it could go, unreachable, or not started after an abort.
      if (tried.length > 0) {
        guest.verdict = 'blocked';
        guest.reason = `the re-check blocked every allowed candidate: ${tried.join(', ')}`;
      } else if (signal?.aborted && !guest.migration.error) {
        guest.reason = 'not started: the evacuation was interrupted';
      }
      const planned = guest.destination !== null ? await connect(guest.destination).catch(() => null) : null;
      guest.domainLocation = await locateGuest(guest.uuid, source, planned);
    };

    const worker = async (): Promise<void> => {
      while (next < guests.length) {
        const guest = guests[next++]!;
        guest.migration = notAttempted();
        if (guest.destination === null || signal?.aborted) {
          if (signal?.aborted) guest.reason = 'not started: the evacuation was interrupted';
          guest.domainLocation = await locateGuest(guest.uuid, source, null);
        } else {
          await runGuest(guest);
        }
        options.onProgress?.({ event: 'finished', domain: guest.domain, guest });
      }
    };
    await Promise.all(Array.from({ length: Math.min(maxParallel, guests.length) }, worker));

    const report: EvacuationReport = { ...plan, guests };
    if (signal?.aborted) report.cancelled = true;
    else delete report.cancelled;
    return report;
  } finally {
    const opened = await Promise.allSettled(owned);
    await Promise.all(
      opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value.close().catch(() => undefined)] : [])),
    );
  }
}
