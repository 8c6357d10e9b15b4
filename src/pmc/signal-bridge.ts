/**
 * The caller's AbortSignal, bridged to the two things a run can stop: the JS
 * checks (an AbortSignal of the run's own) and the native runner (a Cancel
 * the C side polls).
 */
import { native } from '../binding/native.js';
import type { NativeCancel } from '../binding/native-types.js';

export interface RunSignal {
  /** Aborted, with the caller's reason, when the caller's signal aborts. */
  readonly signal: AbortSignal;
  /** Triggered at the same moment: the native runner stops its checks and the migration. */
  readonly cancel: NativeCancel;
  /** Stops listening to the caller's signal (the run is over). */
  dispose(): void;
}

export function bridgeSignal(callerSignal: AbortSignal | undefined): RunSignal {
  const runAbort = new AbortController();
  const cancel = new native.Cancel();
  const onAbort = () => {
    runAbort.abort(callerSignal?.reason);
    cancel.trigger();
  };
  if (callerSignal?.aborted) onAbort();
  else callerSignal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: runAbort.signal,
    cancel,
    dispose: () => callerSignal?.removeEventListener('abort', onAbort),
  };
}
