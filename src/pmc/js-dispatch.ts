/**
 * Runs the JS checks the native runner hands over, and hands their outcomes
 * back to C in batches, once per microtask turn. A check's signal (its
 * timeout and the run's cancellation) costs a timer and a listener: it is made
 * only for checks that read `ctx.signal`.
 */
import type { NativeCheckList } from '../binding/native-types.js';
import type { Entry } from './check-list.js';
import { fromThrown, fromValue, offlineSkipMessage, type NormalizedOutcome } from './outcome.js';
import type { CheckContext } from './types.js';

/** How long one turn of the loop may spend starting checks (of every run) before yielding to other work. */
const SLICE_MS = 2;

/**
 * When this turn of the loop began starting checks: shared by every run, since
 * the runner's hand-overs of many runs can arrive in one turn (one
 * thread-safe function drains all its calls at once).
 */
let turnStart: number | undefined;

function turnBudgetLeft(): boolean {
  const now = performance.now();
  if (turnStart === undefined) {
    turnStart = now;
    setImmediate(() => (turnStart = undefined));
  }
  return now - turnStart < SLICE_MS;
}

/** virPMCStatus (native/pmc/pmc.h). */
export const STATUS_CODE = { pass: 0, fail: 1, error: 2, skipped: 3 } as const;

/** Where settled checks go: the native run's list, or a run decided in JS (src/pmc/js-runner.ts). */
export type CompletionSink = Pick<NativeCheckList, 'completeBatch'>;

export interface JsDispatchOptions {
  entries: readonly Entry[];
  list: CompletionSink;
  /** What every check's context holds but its signal. */
  context: Omit<CheckContext, 'signal'>;
  /** The run's signal: aborting it aborts every check's. */
  runSignal: AbortSignal;
  timeoutMs: number;
}

/** Settled checks, handed to C together at the end of the current microtask turn. */
function batcher(list: CompletionSink): (index: number, outcome: NormalizedOutcome) => void {
  let done = {
    indices: [] as number[],
    statuses: [] as number[],
    messages: [] as string[],
    details: [] as (string | undefined)[],
  };
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    const { indices, statuses, messages, details } = done;
    done = { indices: [], statuses: [], messages: [], details: [] };
    list.completeBatch(indices, statuses, messages, details);
  };
  return (index, outcome) => {
    done.indices.push(index);
    done.statuses.push(STATUS_CODE[outcome.status]);
    done.messages.push(outcome.message);
    done.details.push(outcome.details);
    if (!flushQueued) {
      flushQueued = true;
      queueMicrotask(flush);
    }
  };
}

export interface JsDispatcher {
  /** What the native runner calls with the indices of the JS checks to run now. */
  dispatch(indices: number[]): void;
  /**
   * The run has ended: every check still running was decided without it (timed
   * out, cancelled) and is abandoned; its signal aborts now, not when its own
   * timer would fire, so a check that watches it stops with the run.
   */
  abandonUnfinished(): void;
}

export function jsDispatcher({ entries, list, context, runSignal, timeoutMs }: JsDispatchOptions): JsDispatcher {
  const settle = batcher(list);
  /** Checks handed over and not started yet, in order. */
  const queued: number[] = [];
  let pumpScheduled = false;
  // Checks start one after another while the turn's budget lasts; the rest
  // start on a later turn of the loop, so that the checks of many batches and
  // runs never hold the JS thread (a service's other requests) for long.
  const pump = (): void => {
    while (queued.length > 0) {
      if (!turnBudgetLeft()) {
        if (!pumpScheduled) {
          pumpScheduled = true;
          setImmediate(() => {
            pumpScheduled = false;
            pump();
          });
        }
        return;
      }
      runCheck(queued.shift()!);
    }
  };
  /** The checks not finished yet, by index: each one's abandon. */
  const unfinished = new Map<number, () => void>();

  const runCheck = (index: number): void => {
    const entry = entries[index]!;
    if (entry.kind !== 'js') return; // native checks never reach the dispatcher
    let finished = false;
    let abandoned: Error | undefined;
    let controller: AbortController | undefined;
    let timer: NodeJS.Timeout | undefined;
    const stop = () => controller?.abort(runSignal.reason);
    const release = () => {
      unfinished.delete(index);
      if (controller) {
        clearTimeout(timer);
        runSignal.removeEventListener('abort', stop);
      }
    };
    const finish = (outcome: NormalizedOutcome) => {
      if (finished) return;
      finished = true;
      release();
      if (!abandoned) settle(index, outcome);
    };
    unfinished.set(index, () => {
      finished = true;
      abandoned = new Error(
        `abandoned: the run ended before this check (timed out after ${timeoutMs} ms, or cancelled)`,
      );
      release();
      controller?.abort(abandoned);
    });
    const { domain, source, destination, options, facts } = context;
    const ctx: CheckContext = {
      domain,
      source,
      destination,
      options,
      facts,
      get signal(): AbortSignal {
        if (!controller) {
          controller = new AbortController();
          if (abandoned) controller.abort(abandoned);
          else if (runSignal.aborted) controller.abort(runSignal.reason);
          else if (!finished) {
            runSignal.addEventListener('abort', stop, { once: true });
            timer = setTimeout(() => controller!.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
            timer.unref();
          }
        }
        return controller.signal;
      },
    };
    if (options.offline && entry.check.offline !== undefined) {
      finish({ status: 'skipped', message: offlineSkipMessage(entry.check.offline) });
      return;
    }
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

  return {
    dispatch(indices) {
      queued.push(...indices);
      pump();
    },
    abandonUnfinished() {
      // Those not started yet are decided already (timed out, cancelled): they never start.
      queued.length = 0;
      for (const abandon of [...unfinished.values()]) abandon();
    },
  };
}
