/** Turns whatever a JS check returned or threw into a status and a message. */
import type { CheckStatus } from './types.js';

export interface NormalizedOutcome {
  status: CheckStatus;
  message: string;
  /** JSON text of the check's details, if any. */
  details?: string;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object without a valid status' : `${typeof value} ${String(value)}`;
}

export function fromValue(value: unknown): NormalizedOutcome {
  if (value === true) return { status: 'pass', message: '' };
  if (value === false) return { status: 'fail', message: 'the check failed' };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { status, message, details } = value as { status?: unknown; message?: unknown; details?: unknown };
    if (status === 'pass' || status === 'fail' || status === 'skipped') {
      if (message !== undefined && typeof message !== 'string') {
        return { status: 'error', message: `the check returned a message that is not a string (${typeof message})` };
      }
      // A check that does not apply says why: a bare skip would hide a check from its reader.
      if (status === 'skipped' && !message?.trim()) {
        return { status: 'error', message: 'the check was skipped without a reason; a skipped check says why' };
      }
      const out: NormalizedOutcome = { status, message: message ?? (status === 'fail' ? 'the check failed' : '') };
      if (details !== undefined) {
        try {
          out.details = JSON.stringify(details);
        } catch (e) {
          return { status: 'error', message: `the check returned details that are not JSON: ${(e as Error).message}` };
        }
      }
      return out;
    }
  }
  return {
    status: 'error',
    message: `the check returned ${describe(value)}; expected true, false or { status: 'pass' | 'fail' | 'skipped', message }`,
  };
}

/** The reason a check that does not apply to an offline migration is skipped with (CheckDefinition.offline). */
export function offlineSkipMessage(consequence: string): string {
  return `an offline migration moves only the definition and starts nothing on the destination: ${consequence}`;
}

export function fromThrown(thrown: unknown, how: 'threw' | 'rejected'): NormalizedOutcome {
  if (thrown instanceof Error) return { status: 'error', message: `the check ${how}: ${thrown.message}` };
  return { status: 'error', message: `the check ${how} a non-Error value: ${String(thrown)}` };
}
