/**
 * A dry run whose checks are all JS, decided on the JS thread: the native
 * runner's rules (native/pmc/pmc-runner.c: skipped on request, each check's
 * timeout, a cancel marks what is undecided `cancelled`, the verdict of
 * ./verdict.ts) without its dedicated thread, its thread-safe hand-overs and
 * its report crossing into JS. Fleet planning asks for it
 * (RunMode.decideInJs): a plan is hundreds of dry runs on shared facts, and
 * there the native run's fixed costs were most of each run's time
 * (bench/fleet.bench.mjs --scale); each guest is re-checked by the native
 * runner right before it migrates. Whether a run qualifies is
 * `decidableInJs`; the checks run through the same dispatcher
 * (./js-dispatch.ts) as in a native run.
 */
import { setMaxListeners } from 'node:events';
import type { NativeCheckOutcome, NativeRunReport } from '../binding/native-types.js';
import type { Entry } from './check-list.js';
import { jsDispatcher, STATUS_CODE, type JsDispatchOptions } from './js-dispatch.js';
import type { RunOptions } from './run-options.js';
import type { CheckStatus } from './types.js';
import { verdictOf } from './verdict.js';

const STATUS_OF: Record<number, CheckStatus> = Object.fromEntries(
  Object.entries(STATUS_CODE).map(([name, code]) => [code, name as CheckStatus]),
);

/**
 * Whether a run can be decided in JS with the native runner's outcome: a dry
 * run (libvirt's migration API is never called, so the migration's flags and
 * parameters reach nothing) of JS checks alone, in parallel, without the
 * rehearsal (libvirt's handshake, native).
 */
export function decidableInJs(entries: readonly Entry[], options: RunOptions, migrate: boolean): boolean {
  return !migrate && !options.sequential && !options.rehearse && entries.every((e) => e.kind === 'js');
}

export interface JsRunOptions extends Omit<JsDispatchOptions, 'list' | 'runSignal'> {
  /** The caller's signal, if any: there is no native runner to stop, so it is the run's. */
  signal: AbortSignal | undefined;
  skip: readonly string[];
  strict: boolean;
}

/** The run signal of runs without a caller's: never aborted, so nobody listens to it. */
const NEVER_ABORTED = new AbortController().signal;
setMaxListeners(0, NEVER_ABORTED);

/** Runs `entries` (JS checks only: decidableInJs) and decides them as the native runner would. */
export function runJsChecks(run: JsRunOptions): Promise<NativeRunReport> {
  const { entries, signal, timeoutMs, skip, strict } = run;
  const runSignal = signal ?? NEVER_ABORTED;
  const started = performance.now();
  const outcomes: NativeCheckOutcome[] = entries.map((e) => ({
    name: e.name,
    severity: e.severity,
    status: 'error',
    message: '',
    details: null,
    durationMs: 0,
    origin: e.origin,
  }));
  const decided = entries.map((e) => skip.includes(e.name));
  for (const [i, out] of outcomes.entries()) {
    if (decided[i]) Object.assign(out, { status: 'skipped', message: 'skipped on request' });
  }
  let outstanding = decided.filter((d) => !d).length;

  return new Promise<NativeRunReport>((resolve) => {
    let ended = false;
    // Every check starts at once, so one deadline is each check's timeout.
    const timer = setTimeout(() => decideRest(`timed out after ${timeoutMs} ms`), timeoutMs);
    /** Every undecided check gets `message` as an error, and the run ends. */
    const decideRest = (message: string): void => {
      for (const [i, out] of outcomes.entries()) {
        if (!decided[i]) Object.assign(out, { status: 'error', message, durationMs: performance.now() - started });
      }
      outstanding = 0;
      end();
    };
    const onAbort = (): void => decideRest('cancelled');
    const end = (): void => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      js.abandonUnfinished();
      const cancelled = runSignal.aborted;
      resolve({
        checks: outcomes,
        verdict: verdictOf(outcomes, { strict, cancelled }),
        cancelled,
        stateError: null,
        migration: { attempted: false, succeeded: false, durationMs: 0, error: null },
      });
    };
    const js = jsDispatcher({
      entries,
      context: run.context,
      runSignal,
      timeoutMs,
      list: {
        completeBatch(indices, statuses, messages, details) {
          if (outstanding === 0) return; // decided without them (timed out, cancelled)
          const now = performance.now();
          indices.forEach((index, k) => {
            if (decided[index]) return;
            decided[index] = true;
            outstanding--;
            Object.assign(outcomes[index]!, {
              status: STATUS_OF[statuses[k]!],
              message: messages[k],
              details: details[k] ?? null,
              durationMs: now - started,
            });
          });
          if (outstanding === 0) end();
        },
      },
    });
    // Cancelled before it starts: nothing runs, every check is cancelled (the native runner's rule).
    if (runSignal.aborted) return decideRest('cancelled');
    if (outstanding === 0) return end();
    signal?.addEventListener('abort', onAbort, { once: true });
    js.dispatch(entries.flatMap((_, i) => (decided[i] ? [] : [i])));
  });
}
