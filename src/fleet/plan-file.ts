/**
 * Plans and reports read from files (`pmc evacuate --plan`, `--return`), as
 * hostile input: their shape and version (docs/evacuate.schema.json), the
 * options a plan may hold, and the hosts it may name.
 */
import { InvalidArgumentError } from '../errors.js';
import { migrationOptionTable } from '../options/index.js';
import { validateRunOptions, type RunOptions } from '../pmc/run-options.js';
import type { MigrationOutcome, Verdict } from '../pmc/types.js';
import { refusedFleetOption } from './options.js';
import { refusedFileUri, runsLocalProgram } from './plan-uri.js';
import type { DomainLocation, Evacuation, EvacuationGuest, SavedOptions } from './types.js';

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
  /** An object holding no key but `keys` (the schema's additionalProperties: false). */
  object(value: unknown, keys?: readonly string[]): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail('must be an object');
    if (keys)
      for (const key of Object.keys(value))
        if (!keys.includes(key)) this.at(key).fail(`is not a field here (the fields: ${keys.join(', ')})`);
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
  /** A finite number; 'whole': a safe integer of at least 0; 'non-negative': at least 0. */
  number(value: unknown, kind: 'any' | 'whole' | 'non-negative' = 'any'): number {
    const whole = kind === 'whole';
    if (typeof value !== 'number' || !Number.isFinite(value))
      this.fail(whole ? 'must be a whole number' : 'must be a number');
    if (whole && !(Number.isSafeInteger(value) && value >= 0)) this.fail('must be a whole number');
    if (kind === 'non-negative' && value < 0) this.fail('must be at least 0');
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
  const o = at.object(value, ['attempted', 'succeeded', 'durationMs', 'error']);
  let error: MigrationOutcome['error'] = null;
  if (o.error !== null) {
    const e = at.at('error').object(o.error, ['code', 'domain', 'message']);
    error = {
      code: at.at('error').at('code').string(e.code),
      domain: at.at('error').at('domain').string(e.domain),
      message: at.at('error').at('message').string(e.message),
    };
  }
  return {
    attempted: at.at('attempted').boolean(o.attempted),
    succeeded: at.at('succeeded').boolean(o.succeeded),
    durationMs: at.at('durationMs').number(o.durationMs, 'non-negative'),
    error,
  };
}

function parseGuest(value: unknown, at: Shape): EvacuationGuest {
  const g = at.object(value, GUEST_FIELDS);
  const uuid = at.at('uuid').string(g.uuid);
  // Lower case, as libvirt prints it and the schema's pattern says.
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid))
    at.at('uuid').fail('must be a UUID (lower case)');
  const domain = at.at('domain').string(g.domain);
  if (domain === '') at.at('domain').fail('is empty');
  return {
    domain,
    uuid,
    offline: at.at('offline').boolean(g.offline),
    memoryKiB: at.at('memoryKiB').number(g.memoryKiB, 'whole'),
    vcpus: at.at('vcpus').number(g.vcpus, 'whole'),
    destination: g.destination === null ? null : at.at('destination').string(g.destination),
    verdict: at.at('verdict').oneOf(g.verdict, VERDICTS) as Verdict,
    reason: at.at('reason').string(g.reason),
    ranking: at
      .at('ranking')
      .array(g.ranking)
      .map((r, i) => {
        const rs = at.at('ranking').at(i);
        const o = rs.object(r, ['uri', 'verdict', 'score']);
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

const GUEST_FIELDS = [
  'domain',
  'uuid',
  'offline',
  'memoryKiB',
  'vcpus',
  'destination',
  'verdict',
  'reason',
  'ranking',
  'migration',
  'domainLocation',
] as const;

/** What a plan's options may hold (SavedOptions): the option table's, and what decides a verdict. */
export const SAVED_OPTION_KEYS: ReadonlySet<string> = new Set([
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
  if (reserveMemoryMiB !== undefined) at.at('reserveMemoryMiB').number(reserveMemoryMiB, 'whole');
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

export interface ParseEvacuationOptions {
  /**
   * Host URIs the caller vouches for (pmc: those typed on its command line):
   * the plan may name them although the rule for URIs read from files
   * (refusedFileUri) would refuse them, such as a `socket=` the operator chose.
   */
  vouched?: readonly string[];
}

/**
 * Checks that `value`, read from a file, is an evacuation plan or report of
 * version 1 (docs/evacuate.schema.json) and returns a copy made of its known
 * fields only; throws an InvalidArgumentError naming the first wrong field. Every host URI
 * it names must pass the rule for URIs read from files (refusedFileUri) or be
 * one of `options.vouched`. The options are checked where they are used
 * (validateRunOptions, by migratePMC).
 */
export function parseEvacuation(value: unknown, options: ParseEvacuationOptions = {}): Evacuation {
  const vouched = new Set(options.vouched ?? []);
  return parseWith(value, (uri) => (vouched.has(uri) ? runsLocalProgram(uri) : refusedFileUri(uri)), true);
}

/**
 * A plan or report the caller made (`evacuate`, `returnPlans` take objects):
 * the same shape, and no host URI with which libvirt would run a local program.
 */
export function parseCallerEvacuation(value: unknown): Evacuation {
  return parseWith(value, runsLocalProgram, false);
}

/** `file`: read from a file, where no option may name one destination (refusedFleetOption). */
function parseWith(value: unknown, refusedUri: (uri: string) => string | null, file: boolean): Evacuation {
  const at = new Shape('plan');
  const o = at.object(value, ['version', 'source', 'candidates', 'options', 'guests', 'cancelled']);
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
  checkPlanHosts(result, at, refusedUri);
  const refused = refusedFleetOption(result.options as Record<string, unknown>, {
    candidates: result.candidates.length,
    guests: 'many',
    file,
  });
  if (refused) at.at('options').at(refused.name).fail(refused.why);
  return result;
}

/**
 * The hosts a plan names are its source and its candidates, each a URI pmc
 * may dial: a guest's destination and ranking name candidates only.
 */
function checkPlanHosts(plan: Evacuation, at: Shape, refusedUri: (uri: string) => string | null): void {
  const dialable = (uri: string, where: Shape) => {
    const why = refusedUri(uri);
    if (why) where.fail(why);
  };
  dialable(plan.source, at.at('source'));
  for (const [i, uri] of plan.candidates.entries()) {
    dialable(uri, at.at('candidates').at(i));
    if (uri === plan.source) at.at('candidates').at(i).fail('is the source: a host cannot take its own guests');
    if (plan.candidates.indexOf(uri) !== i) at.at('candidates').at(i).fail('is given twice');
  }
  const candidates = new Set(plan.candidates);
  for (const [i, g] of plan.guests.entries()) {
    const guest = at.at('guests').at(i);
    if (g.destination !== null && !candidates.has(g.destination)) guest.at('destination').fail('is not a candidate');
    for (const [j, r] of g.ranking.entries())
      if (!candidates.has(r.uri)) guest.at('ranking').at(j).at('uri').fail('is not a candidate');
  }
}
