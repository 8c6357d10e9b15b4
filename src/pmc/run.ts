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
import { Facts } from './facts.js';
import { migrateFlags, migrateParams } from './migration-flags.js';
import { fromThrown, fromValue, type NormalizedOutcome } from './outcome.js';
import type { CheckContext, CheckDefinition, CheckOrigin, Report, RunOptions, Severity } from './types.js';

const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];
const STATUS_CODE = { pass: 0, fail: 1, error: 2 } as const;
export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

interface Entry {
  check: CheckDefinition;
  origin: CheckOrigin;
}

/** The checks of a run, validated: every name unique, every field of the right kind. */
export function collectChecks(options: RunOptions): Entry[] {
  const entries: Entry[] = [];
  if (!options.noBuiltins) for (const check of builtinChecks) entries.push({ check, origin: 'builtin' });
  for (const check of options.checks ?? []) entries.push({ check, origin: 'js' });
  const seen = new Set<string>();
  for (const { check } of entries) {
    if (typeof check !== 'object' || check === null) throw new TypeError('a check must be an object');
    if (typeof check.name !== 'string' || check.name.length === 0) {
      throw new TypeError('a check needs a name (area.what)');
    }
    if (!SEVERITIES.includes(check.severity)) {
      throw new TypeError(`check ${check.name}: severity must be critical, warning or info`);
    }
    if (typeof check.run !== 'function') throw new TypeError(`check ${check.name}: run must be a function`);
    if (seen.has(check.name)) throw new TypeError(`two checks are named ${check.name}`);
    seen.add(check.name);
  }
  for (const name of options.skip ?? []) {
    if (!seen.has(name)) throw new TypeError(`cannot skip ${name}: no such check (known: ${[...seen].join(', ')})`);
  }
  return entries;
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
  for (const { check, origin } of entries) {
    list.addJs(check.name, check.description ?? '', check.severity, origin);
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
        migrateFlags: migrateFlags(options),
        params: migrateParams(options),
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
        ...(entry?.check.description ? { description: entry.check.description } : {}),
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
