/**
 * A host's evacuation, executed: the plan's guests migrate (each checked again
 * right before its own migration, through `domain.migratePMC`), up to
 * `maxParallel` at once; a guest whose planned destination a re-check blocks
 * tries the next allowed candidate of its ranking. An abort starts nothing new
 * and aborts what runs; every guest's place is then asked of both hosts.
 */
import '../api.js'; // attaches domain.migratePMC
import { Connection } from '../binding/connection.js';
import type { Domain } from '../binding/domain.js';
import { invalidArgument, InvalidArgumentError, isLibvirtError } from '../errors.js';
import { migrationOptionTable } from '../options/index.js';
import { validateRunOptions, type RunOptions } from '../pmc/run-options.js';
import type { MigrationOutcome, MigrationProgress, Report, Verdict } from '../pmc/types.js';
import { locateGuest } from '../pmc/locate-guest.js';
import { allows, blockingChecks } from '../pmc/verdict.js';
import { guestRunOptions } from './plan.js';
import { refusedFleetOption, unsafePlanUri } from './options.js';
import type {
  DomainLocation,
  Evacuation,
  EvacuationGuest,
  EvacuationPlan,
  EvacuationReport,
  SavedOptions,
} from './types.js';

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

/** The migration options of one guest: the plan's, as the plan assessed them (offline for a shut-off guest). */
function optionsOf(plan: EvacuationPlan, guest: EvacuationGuest, strict: boolean): RunOptions {
  const { includeInactive: _all, reserveMemoryMiB: _reserve, ...saved } = plan.options;
  return guestRunOptions({ ...saved, strict }, guest.offline);
}

/**
 * Executes a plan (`planEvacuation`'s, or a saved one: `parseEvacuation` first).
 * Resolves with the report: the plan's guests, each with its migration's
 * outcome and where it is now, asked of both hosts. Rejects only when the
 * source cannot be reached; a destination that cannot is that guest's error.
 */
export async function evacuate(plan: EvacuationPlan, options: EvacuateOptions = {}): Promise<EvacuationReport> {
  plan = parseEvacuation(plan);
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

// ---- validation: plans and reports arrive from files (hostile input) ----

const VERDICTS: readonly string[] = ['allowed', 'allowed-with-warnings', 'blocked'];
const LOCATIONS: readonly string[] = ['source', 'destination', 'unknown'];
/** Names, URIs, reasons: generous, but bounded. */
const MAX_TEXT = 64 * 1024;
/** Guests of one host, candidates of one plan. */
const MAX_ITEMS = 10_000;

class Shape {
  constructor(readonly path: string) {}
  fail(what: string): never {
    throw new InvalidArgumentError(`invalid evacuation plan: ${this.path} ${what}`);
  }
  object(value: unknown): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail('must be an object');
    return value as Record<string, unknown>;
  }
  string(value: unknown): string {
    if (typeof value !== 'string' || value.length > MAX_TEXT)
      this.fail(`must be a string of at most ${MAX_TEXT} characters`);
    return value;
  }
  array(value: unknown): unknown[] {
    if (!Array.isArray(value) || value.length > MAX_ITEMS) this.fail(`must be an array of at most ${MAX_ITEMS} items`);
    return value;
  }
  number(value: unknown, integer = false): number {
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      (integer && !(Number.isSafeInteger(value) && value >= 0))
    )
      this.fail(integer ? 'must be a whole number' : 'must be a number');
    return value;
  }
  boolean(value: unknown): boolean {
    if (typeof value !== 'boolean') this.fail('must be true or false');
    return value;
  }
  oneOf(value: unknown, choices: readonly string[]): string {
    if (typeof value !== 'string' || !choices.includes(value)) this.fail(`must be one of ${choices.join(', ')}`);
    return value;
  }
  at(key: string | number): Shape {
    return new Shape(typeof key === 'number' ? `${this.path}[${key}]` : `${this.path}.${key}`);
  }
}

function parseOutcome(value: unknown, at: Shape): MigrationOutcome {
  const o = at.object(value);
  let error: MigrationOutcome['error'] = null;
  if (o.error !== null) {
    const e = at.at('error').object(o.error);
    error = {
      code: at.at('error').at('code').string(e.code),
      domain: at.at('error').at('domain').string(e.domain),
      message: at.at('error').at('message').string(e.message),
    };
  }
  return {
    attempted: at.at('attempted').boolean(o.attempted),
    succeeded: at.at('succeeded').boolean(o.succeeded),
    durationMs: at.at('durationMs').number(o.durationMs),
    error,
  };
}

function parseGuest(value: unknown, at: Shape): EvacuationGuest {
  const g = at.object(value);
  const uuid = at.at('uuid').string(g.uuid);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid))
    at.at('uuid').fail('must be a UUID');
  return {
    domain: at.at('domain').string(g.domain),
    uuid,
    offline: at.at('offline').boolean(g.offline),
    memoryKiB: at.at('memoryKiB').number(g.memoryKiB, true),
    vcpus: at.at('vcpus').number(g.vcpus, true),
    destination: g.destination === null ? null : at.at('destination').string(g.destination),
    verdict: at.at('verdict').oneOf(g.verdict, VERDICTS) as Verdict,
    reason: at.at('reason').string(g.reason),
    ranking: at
      .at('ranking')
      .array(g.ranking)
      .map((r, i) => {
        const rs = at.at('ranking').at(i);
        const o = rs.object(r);
        return {
          uri: rs.at('uri').string(o.uri),
          verdict: rs.at('verdict').oneOf(o.verdict, VERDICTS) as Verdict,
          score: rs.at('score').number(o.score),
        };
      }),
    migration: parseOutcome(g.migration, at.at('migration')),
    domainLocation: at.at('domainLocation').oneOf(g.domainLocation, LOCATIONS) as DomainLocation,
  };
}

/** What a plan's options may hold (SavedOptions): the option table's, and what decides a verdict. */
const SAVED_OPTION_KEYS = new Set([
  ...Object.keys(migrationOptionTable),
  'strict',
  'skip',
  'timeoutMs',
  'includeInactive',
  'reserveMemoryMiB',
]);

function parseSavedOptions(options: Record<string, unknown>, at: Shape): SavedOptions {
  for (const key of Object.keys(options))
    if (!SAVED_OPTION_KEYS.has(key)) at.at(key).fail('is not an option of a plan');
  const { includeInactive, reserveMemoryMiB, ...run } = options;
  if (includeInactive !== undefined) at.at('includeInactive').boolean(includeInactive);
  if (reserveMemoryMiB !== undefined) at.at('reserveMemoryMiB').number(reserveMemoryMiB, true);
  if (run.strict !== undefined) at.at('strict').boolean(run.strict);
  if (run.skip !== undefined)
    at.at('skip')
      .array(run.skip)
      .forEach((s, i) => at.at('skip').at(i).string(s));
  try {
    validateRunOptions(run as RunOptions);
  } catch (error) {
    at.fail(`are invalid: ${(error as Error).message}`);
  }
  return { ...options } as SavedOptions;
}

/**
 * Checks that `value` is an evacuation plan or report of version 1
 * (docs/evacuate.schema.json) and returns a copy made of its known fields
 * only; throws an InvalidArgumentError naming the first wrong field. The options are
 * checked where they are used (validateRunOptions, by migratePMC).
 */
export function parseEvacuation(value: unknown): Evacuation {
  const at = new Shape('plan');
  const o = at.object(value);
  if (o.version !== 1) at.at('version').fail('must be 1 (a plan of another pmc version?)');
  const options = at.at('options').object(o.options);
  const result: Evacuation = {
    version: 1,
    source: at.at('source').string(o.source),
    candidates: at
      .at('candidates')
      .array(o.candidates)
      .map((c, i) => at.at('candidates').at(i).string(c)),
    options: parseSavedOptions(options, at.at('options')),
    guests: at
      .at('guests')
      .array(o.guests)
      .map((g, i) => parseGuest(g, at.at('guests').at(i))),
  };
  if (o.cancelled !== undefined) result.cancelled = at.at('cancelled').boolean(o.cancelled);
  const uuids = new Set<string>();
  for (const [i, g] of result.guests.entries()) {
    if (uuids.has(g.uuid.toLowerCase())) at.at('guests').at(i).fail('names a guest twice');
    uuids.add(g.uuid.toLowerCase());
  }
  checkPlanHosts(result, at);
  const refused = refusedFleetOption(result.options as Record<string, unknown>, {
    candidates: result.candidates.length,
    guests: 'many',
    file: true,
  });
  if (refused) at.at('options').at(refused.name).fail(refused.why);
  return result;
}

/**
 * The hosts a plan names are its source and its candidates, each a URI pmc
 * may dial: a guest's destination and ranking name candidates only.
 */
function checkPlanHosts(plan: Evacuation, at: Shape): void {
  const dialable = (uri: string, where: Shape) => {
    const why = unsafePlanUri(uri);
    if (why) where.fail(why);
  };
  dialable(plan.source, at.at('source'));
  for (const [i, uri] of plan.candidates.entries()) {
    dialable(uri, at.at('candidates').at(i));
    if (uri === plan.source) at.at('candidates').at(i).fail('is the source: a host cannot take its own guests');
  }
  const candidates = new Set(plan.candidates);
  for (const [i, g] of plan.guests.entries()) {
    const guest = at.at('guests').at(i);
    if (g.destination !== null && !candidates.has(g.destination)) guest.at('destination').fail('is not a candidate');
    for (const [j, r] of g.ranking.entries())
      if (!candidates.has(r.uri)) guest.at('ranking').at(j).at('uri').fail('is not a candidate');
  }
}
