/**
 * One pre-migration-check run: builds the C check list (the built-ins it is
 * given, the caller's checks), starts the built-ins' facts in waves
 * (`prefetchFacts`), fetches the facts native checks read, hands
 * the list to the native runner on a thread of its own, and shapes the
 * report (docs/architecture.md, "runPMC").
 */
import type { Connection } from '../binding/connection.js';
import type { Domain } from '../binding/domain.js';
import { native } from '../binding/native.js';
import type { NativeRunReport } from '../binding/native-types.js';
import { decodeRawMigration, migrateFlags, migrateParamEntries } from '../options/index.js';
import { collectChecks, nativeCheckList, nativeFactNames } from './check-list.js';
import { fetchNativeFacts } from './native-facts.js';
import { Facts, type SharedFacts } from './facts.js';
import { jsDispatcher } from './js-dispatch.js';
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

/**
 * Runs the checks of `options` (and `builtins` unless options.noBuiltins) on
 * `domain` against `destination`, then migrates when `migrate` and the
 * verdict allows. A blocked or failed migration is in the report, not a
 * rejection; invalid options reject. `shared`: facts fetched once for many
 * runs (src/fleet/: every guest against every candidate).
 */
export async function runPMC(
  domain: Domain,
  destination: Connection,
  given: RunOptions,
  migrate: boolean,
  builtins: readonly CheckDefinition[],
  shared?: SharedFacts,
): Promise<Report & { migratedDomain?: Domain }> {
  // Raw bits and parameters become named options first, so that validation
  // and every check see them; named options given too win.
  const raw = decodeRawMigration(given.rawMigrateFlags ?? 0, given.rawMigrateParams ?? {}, native.constants);
  const options: RunOptions = { ...raw.options, ...given };
  validateRunOptions(options);
  const entries = collectChecks(builtins, options);
  const source = domain.connection;
  const facts = new Facts(domain, source, destination, shared, options.factCache);
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;

  const list = nativeCheckList(entries);
  const factNames = nativeFactNames(entries, options.skip ?? []);
  // A run cancelled before it starts asks libvirt nothing: the runner reports every check cancelled.
  const cancelled = options.signal?.aborted ?? false;
  if (!cancelled && !options.noBuiltins && builtins.length > 0) {
    // The built-ins' facts in waves, into the cache the checks read; not awaited:
    // a check waits only for what it reads, and reports its failures.
    void prefetchFacts(facts, options);
  }
  if (factNames.size > 0) {
    // Cached in `facts`: the JS checks of this run read the same fetches.
    const { values, errors } = cancelled
      ? { values: {}, errors: Object.fromEntries([...factNames].map((n) => [n, 'the run was cancelled'])) }
      : await fetchNativeFacts(facts, options, factNames, timeoutMs);
    list.setFacts(values, errors);
  }

  const runSignal = bridgeSignal(options.signal);
  const js = jsDispatcher({
    entries,
    list,
    context: { domain, source, destination, options, facts },
    runSignal: runSignal.signal,
    timeoutMs,
  });

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
