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

/** How long one turn of the loop may start checks before yielding to other work. */
const SLICE_MS = 2;

/** virPMCStatus (native/pmc/pmc.h). */
const STATUS_CODE = { pass: 0, fail: 1, error: 2, skipped: 3 } as const;

export interface JsDispatchOptions {
  entries: readonly Entry[];
  list: NativeCheckList;
  /** What every check's context holds but its signal. */
  context: Omit<CheckContext, 'signal'>;
  /** The run's signal: aborting it aborts every check's. */
  runSignal: AbortSignal;
  timeoutMs: number;
}

/** Settled checks, handed to C together at the end of the current microtask turn. */
function batcher(list: NativeCheckList): (index: number, outcome: NormalizedOutcome) => void {
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
      // Checks start one after another until a slice has taken SLICE_MS; the
      // rest start on a later turn of the loop, so a batch of checks never
      // holds the JS thread (a service's other requests) for long.
      let next = 0;
      const slice = () => {
        const started = performance.now();
        while (next < indices.length) {
          runCheck(indices[next++]!);
          if (next < indices.length && performance.now() - started >= SLICE_MS) {
            setImmediate(slice);
            return;
          }
        }
      };
      slice();
    },
    abandonUnfinished() {
      for (const abandon of [...unfinished.values()]) abandon();
    },
  };
}
