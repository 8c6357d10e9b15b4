/**
 * One pre-migration-check run: builds the C check list (the built-ins it is
 * given, the caller's checks), starts the built-ins' facts in waves
 * (`prefetchFacts`), fetches the facts native checks read, hands
 * the list to the native runner on a thread of its own, and shapes the
 * report (docs/architecture.md, "runPMC").
 */
import { Connection } from '../binding/connection.js';
import { invalidArgument } from '../errors.js';
import type { Domain } from '../binding/domain.js';
import { native } from '../binding/native.js';
import type { NativeRunReport } from '../binding/native-types.js';
import { decodeRawMigration, migrateFlags, migrateParamEntries } from '../options/index.js';
import { collectChecks, nativeCheckList, nativeFactNames } from './check-list.js';
import { fetchNativeFacts } from './native-facts.js';
import { Facts, type SharedFacts } from './facts.js';
import { jsDispatcher } from './js-dispatch.js';
import { decidableInJs, runJsChecks } from './js-runner.js';
import { prefetchFacts } from './prefetch.js';
import { shapeReport } from './report.js';
import { validateRunOptions, type RunOptions } from './run-options.js';
import { bridgeSignal } from './signal-bridge.js';
import type { CheckDefinition, Report } from './types.js';

export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

/** A throwing progress listener must not break the migration. */
function guardProgress(onProgress: RunOptions['onProgress']): RunOptions['onProgress'] {
  if (!onProgress) return undefined;
  return (p) => {
    try {
      onProgress(p);
    } catch {
      // ignored: see above
    }
  };
}

/** How a run runs, as its composer (src/api.ts) binds it, apart from the caller's options. */
export interface RunMode {
  /** Migrate when the verdict allows (migratePMC); false: the checked dry run (checkPMC). */
  migrate: boolean;
  /** The built-in checks (src/api.ts binds them); left out with options.noBuiltins. */
  builtins: readonly CheckDefinition[];
  /** Facts fetched once for many runs (src/fleet/: every guest against every candidate). */
  shared?: SharedFacts;
  /** A dry run of JS checks alone is decided in JS, without the native runner (./js-runner.ts). */
  decideInJs?: boolean;
}

/**
 * Runs the checks of `options` (and `mode.builtins` unless options.noBuiltins)
 * on `domain` against `destination`, then migrates when `mode.migrate` and the
 * verdict allows. A blocked or failed migration is in the report, not a
 * rejection; invalid options reject.
 */
export async function runPMC(
  domain: Domain,
  destination: Connection,
  given: RunOptions,
  mode: RunMode,
): Promise<Report & { migratedDomain?: Domain }> {
  const { migrate, builtins, shared } = mode;
  // Before anything starts: nothing may run (and reject unobserved) on a destination that is none.
  if (!(destination instanceof Connection)) throw invalidArgument('dest', 'a Connection', destination);
  // Raw bits and parameters become named options first, so that validation
  // and every check see them; named options given too win.
  const raw = decodeRawMigration(given.rawMigrateFlags ?? 0, given.rawMigrateParams ?? {}, native.constants);
  const options: RunOptions = { ...raw.options, ...given };
  validateRunOptions(options);
  const entries = collectChecks(builtins, options);
  const source = domain.connection;
  const facts = new Facts(domain, source, destination, shared, options.factCache);
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;

  // A run cancelled before it starts asks libvirt nothing: the runner reports every check cancelled.
  const cancelled = options.signal?.aborted ?? false;
  if (!cancelled && !options.noBuiltins && builtins.length > 0) {
    // The built-ins' facts in waves, into the cache the checks read; not awaited:
    // a check waits only for what it reads, and reports its failures (so the
    // prefetch's own rejection, were there one, must not go unobserved).
    prefetchFacts(facts, options).catch(() => undefined);
  }
  const context = { domain, source, destination, options, facts };
  if ((mode.decideInJs ?? false) && decidableInJs(entries, options, migrate)) {
    const skip = options.skip ?? [];
    const strict = options.strict ?? false;
    const report = await runJsChecks({ entries, context, signal: options.signal, timeoutMs, skip, strict });
    return shapeReport(report, entries, domain, destination, facts);
  }

  const list = nativeCheckList(entries);
  const factNames = nativeFactNames(entries, options.skip ?? []);
  if (factNames.size > 0) {
    // Cached in `facts`: the JS checks of this run read the same fetches.
    const { values, errors } = cancelled
      ? { values: {}, errors: Object.fromEntries([...factNames].map((n) => [n, 'the run was cancelled'])) }
      : await fetchNativeFacts(facts, options, factNames, timeoutMs);
    list.setFacts(values, errors);
  }

  const runSignal = bridgeSignal(options.signal);
  const js = jsDispatcher({ entries, list, context, runSignal: runSignal.signal, timeoutMs });

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
        rehearse: options.rehearse ?? false,
        rehearseForce: options.rehearseForce ?? false,
        timeoutMs,
        skip: options.skip ?? [],
        progressIntervalMs: options.progressIntervalMs ?? 500,
        migrateFlags: (migrateFlags(options, native.constants) | raw.passFlags) >>> 0,
        params: [...migrateParamEntries(options), ...raw.passParams],
        dconnuri: options.destinationUri,
      },
      (indices: number[]) => js.dispatch(indices),
      guardProgress(options.onProgress),
      runSignal.cancel,
    );
  } finally {
    js.abandonUnfinished();
    runSignal.dispose();
  }
  return shapeReport(nativeReport, entries, domain, destination, facts);
}
