/**
 * One pre-migration-check run: builds the C check list (built-ins, the
 * caller's checks), hands it to the native runner on a thread of its own, and
 * turns the runner's answer into the report of DESIGN.md.
 */
import { builtinChecks } from '../checks/index.js';
import type { Connection } from '../connection.js';
import { Domain } from '../domain.js';
import { native } from '../native.js';
import type { NativeCheckList, NativeRunReport } from '../native-types.js';
import { CheckFile, fetchNativeFacts, Plugin } from './external.js';
import { Facts } from './facts.js';
import { migrateFlags, migrateParamEntries } from '../options/index.js';
import { fromThrown, fromValue, type NormalizedOutcome } from './outcome.js';
import type { CheckContext, CheckDefinition, CheckOrigin, Report, RunOptions, Severity } from './types.js';

const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];
const STATUS_CODE = { pass: 0, fail: 1, error: 2 } as const;
export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

/** One check of a run, whatever its kind; `kind` says how the native list gets it. */
export type Entry = {
  name: string;
  severity: Severity;
  description: string;
  origin: CheckOrigin;
} & (
  | { kind: 'js'; check: CheckDefinition }
  | { kind: 'xml'; file: CheckFile; index: number }
  | { kind: 'plugin'; plugin: Plugin; index: number }
);

/** The checks of a run, validated: every name unique, every field of the right kind. */
export function collectChecks(options: RunOptions): Entry[] {
  const entries: Entry[] = [];
  const js = (check: CheckDefinition, origin: 'builtin' | 'js'): Entry => {
    if (typeof check !== 'object' || check === null) throw new TypeError('a check must be an object');
    if (typeof check.name !== 'string' || check.name.length === 0) {
      throw new TypeError('a check needs a name (area.what)');
    }
    if (!SEVERITIES.includes(check.severity)) {
      throw new TypeError(`check ${check.name}: severity must be critical, warning or info`);
    }
    if (typeof check.run !== 'function') throw new TypeError(`check ${check.name}: run must be a function`);
    return { kind: 'js', check, origin, name: check.name, severity: check.severity, description: check.description ?? '' };
  };
  if (!options.noBuiltins) for (const check of builtinChecks) entries.push(js(check, 'builtin'));
  for (const check of options.checks ?? []) entries.push(js(check, 'js'));
  for (const file of options.checkFiles ?? []) {
    if (!(file instanceof CheckFile)) throw new TypeError('checkFiles takes what loadCheckFile returned');
    file.checks.forEach((c, index) => entries.push({ kind: 'xml', file, index, ...c }));
  }
  for (const plugin of options.plugins ?? []) {
    if (!(plugin instanceof Plugin)) throw new TypeError('plugins takes what loadPlugin returned');
    plugin.checks.forEach((c, index) => entries.push({ kind: 'plugin', plugin, index, ...c }));
  }
  const seen = new Map<string, Entry>();
  for (const entry of entries) {
    const earlier = seen.get(entry.name);
    if (earlier) {
      throw new TypeError(`two checks are named ${entry.name} (${whence(earlier)} and ${whence(entry)})`);
    }
    seen.set(entry.name, entry);
  }
  for (const name of options.skip ?? []) {
    if (!seen.has(name)) throw new TypeError(`cannot skip ${name}: no such check (known: ${[...seen.keys()].join(', ')})`);
  }
  return entries;
}

function whence(entry: Entry): string {
  if (entry.kind === 'xml') return `${entry.file.path}:${entry.file.checks[entry.index]!.line}`;
  if (entry.kind === 'plugin') return entry.plugin.path;
  return entry.origin;
}

/** The facts the run's native checks read (skipped ones aside): fetched before the run, through the run's Facts. */
function nativeFactNames(entries: Entry[], skip: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const entry of entries) {
    if (skip.includes(entry.name)) continue;
    if (entry.kind === 'xml') for (const v of entry.file.native.checks[entry.index]!.variables) names.add(v);
    if (entry.kind === 'plugin') for (const f of entry.plugin.facts) names.add(f);
  }
  return names;
}

function validateOptions(options: RunOptions): void {
  if (options.timeoutMs !== undefined && !(Number.isInteger(options.timeoutMs) && options.timeoutMs > 0)) {
    throw new RangeError('timeoutMs must be a positive whole number of milliseconds');
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError('signal must be an AbortSignal');
  }
}

/** JS checks hand over JSON; native ones may hand over plain text. */
function parseDetails(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Where the guest runs after the run: asked of both hosts, not assumed. */
async function locate(domain: Domain, destination: Connection, report: NativeRunReport): Promise<Report['domainLocation']> {
  const onSource = await domain.isActive().catch(() => false);
  const onDestination = await destination
    .lookupDomainByUUID(domain.uuid)
    .then((d) => d.isActive())
    .catch(() => false);
  if (onSource && !onDestination) return 'source';
  if (onDestination && !onSource) return 'destination';
  if (!onSource && !onDestination) {
    // Not running anywhere (an offline migration): say where it is defined now.
    if (report.migration.succeeded) return 'destination';
    if (!report.migration.attempted) return 'source';
  }
  return 'unknown';
}

export async function runPMC(
  domain: Domain,
  destination: Connection,
  options: RunOptions,
  migrate: boolean,
): Promise<Report & { migratedDomain?: Domain }> {
  validateOptions(options);
  const entries = collectChecks(options);
  const source = domain.connection;
  const facts = new Facts(domain, source, destination);
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const { signal } = options;

  const list: NativeCheckList = new native.CheckList();
  for (const entry of entries) {
    if (entry.kind === 'js') list.addJs(entry.name, entry.description, entry.severity, entry.origin);
    else if (entry.kind === 'xml') list.addXml(entry.file.native.handle, entry.index);
    else list.addPlugin(entry.plugin.native.handle, entry.index);
  }
  const factNames = nativeFactNames(entries, options.skip ?? []);
  if (factNames.size > 0) {
    // Cached in `facts`: the JS checks of this run read the same fetches.
    const { values, errors } = await fetchNativeFacts(facts, options, factNames, timeoutMs);
    list.setFacts(values, errors);
  }

  const runAbort = new AbortController();
  const cancel = new native.Cancel();
  const onAbort = () => {
    runAbort.abort(signal?.reason);
    cancel.trigger();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  // Settled checks are handed back to C in batches, once per microtask turn.
  const done = { indices: [] as number[], statuses: [] as number[], messages: [] as string[], details: [] as (string | undefined)[] };
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    const { indices, statuses, messages, details } = done;
    done.indices = [];
    done.statuses = [];
    done.messages = [];
    done.details = [];
    list.completeBatch(indices, statuses, messages, details);
  };
  const settle = (index: number, outcome: NormalizedOutcome) => {
    done.indices.push(index);
    done.statuses.push(STATUS_CODE[outcome.status]);
    done.messages.push(outcome.message);
    done.details.push(outcome.details);
    if (!flushQueued) {
      flushQueued = true;
      queueMicrotask(flush);
    }
  };

  const runCheck = (index: number): void => {
    const entry = entries[index]!;
    if (entry.kind !== 'js') return; // native checks never reach the dispatcher
    let finished = false;
    // A check's signal costs a timer and a listener: made only for checks that ask for it.
    let controller: AbortController | undefined;
    let timer: NodeJS.Timeout | undefined;
    const stop = () => controller?.abort(runAbort.signal.reason);
    const finish = (outcome: NormalizedOutcome) => {
      if (finished) return;
      finished = true;
      if (controller) {
        clearTimeout(timer);
        runAbort.signal.removeEventListener('abort', stop);
      }
      settle(index, outcome);
    };
    const ctx: CheckContext = {
      domain,
      source,
      destination,
      options,
      facts,
      get signal(): AbortSignal {
        if (!controller) {
          controller = new AbortController();
          if (runAbort.signal.aborted) controller.abort(runAbort.signal.reason);
          else if (!finished) {
            runAbort.signal.addEventListener('abort', stop, { once: true });
            timer = setTimeout(() => controller!.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
            timer.unref();
          }
        }
        return controller.signal;
      },
    };
    try {
      const value: unknown = entry.check.run(ctx);
      if (value !== null && typeof (value as PromiseLike<unknown>)?.then === 'function') {
        (value as PromiseLike<unknown>).then(
          (v) => finish(fromValue(v)),
          (e) => finish(fromThrown(e, 'rejected')),
        );
      } else {
        finish(fromValue(value));
      }
    } catch (e) {
      finish(fromThrown(e, 'threw'));
    }
  };
  const dispatch = (indices: number[]): void => {
    for (const index of indices) runCheck(index);
  };

  const onProgress = options.onProgress
    ? (p: Parameters<NonNullable<RunOptions['onProgress']>>[0]) => {
        try {
          options.onProgress!(p);
        } catch {
          // A throwing progress listener must not break the migration.
        }
      }
    : undefined;

  let nativeReport: NativeRunReport;
  try {
    nativeReport = await native.runPMC(
      domain.native,
      destination.native,
      list,
      {
        migrate,
        sequential: options.sequential ?? false,
        strict: options.strict ?? false,
        timeoutMs,
        skip: options.skip ?? [],
        progressIntervalMs: options.progressIntervalMs ?? 500,
        migrateFlags: migrateFlags(options, native.constants),
        params: migrateParamEntries(options),
        dconnuri: options.destinationUri,
      },
      dispatch,
      onProgress,
      cancel,
    );
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }

  const [srcUri, srcHost, dstUri, dstHost, domainLocation] = await Promise.all([
    facts.source.uri(),
    facts.source.hostname(),
    facts.destination.uri(),
    facts.destination.hostname(),
    locate(domain, destination, nativeReport),
  ]);

  const report: Report & { migratedDomain?: Domain } = {
    version: 1,
    domain: { name: domain.name, uuid: domain.uuid },
    source: { uri: srcUri, hostname: srcHost },
    destination: { uri: dstUri, hostname: dstHost },
    checks: nativeReport.checks.map((c, i) => {
      const entry = entries[i];
      return {
        name: c.name,
        severity: c.severity,
        status: c.status,
        message: c.message,
        ...(c.details !== null ? { details: parseDetails(c.details) } : {}),
        durationMs: Math.round(c.durationMs * 1000) / 1000,
        origin: c.origin as CheckOrigin,
        ...(entry?.description ? { description: entry.description } : {}),
      };
    }),
    verdict: nativeReport.verdict,
    migration: nativeReport.migration,
    domainLocation,
  };
  if (nativeReport.cancelled) report.cancelled = true;
  if (nativeReport.stateError) report.stateError = nativeReport.stateError;
  if (nativeReport.migratedDomain) report.migratedDomain = new Domain(nativeReport.migratedDomain, destination);
  return report;
}
