/**
 * The gate's policy (`pmc hook install` options), the verdict it gives, and
 * where it journals. The policy travels inside the hook script the install
 * writes, so what libvirt runs and what `pmc hook status` shows cannot differ.
 */
import { homedir } from 'node:os';
import path from 'node:path';
import type { GateDecision, GateProblem } from './decide.js';
import { invalidArgument } from '../errors.js';

export type OnError = 'allow' | 'refuse';

export interface GatePolicy {
  /** Absolute paths of the operator's XML check files, run against the incoming definition. */
  checkFiles: string[];
  /** Failing warnings refuse too. */
  strict: boolean;
  /** What a gate that fails itself (a bad check file, an internal error, its timeout) answers. */
  onError: OnError;
  /** The gate's deadline from its start, in ms. */
  timeoutMs: number;
  /** Where it journals; null: `defaultJournalDir()` of the daemon's user. */
  journalDir: string | null;
}

export const DEFAULT_GATE_TIMEOUT_MS = 3000;
/** A domain definition is kilobytes; libvirt's own limit for XML files is 10 MiB. */
export const MAX_HOOK_INPUT_BYTES = 16 * 1024 * 1024;

export const DEFAULT_POLICY: GatePolicy = {
  checkFiles: [],
  strict: false,
  onError: 'allow',
  timeoutMs: DEFAULT_GATE_TIMEOUT_MS,
  journalDir: null,
};

/**
 * `/var/log/libvirt-pmc` for root's daemon (libvirtd --system); for a daemon of
 * another user (a session daemon) its `$XDG_STATE_HOME/libvirt-pmc`, else
 * `$HOME/.local/state/libvirt-pmc` (libvirt passes HOME to hooks, not XDG_*).
 */
export function defaultJournalDir(uid = process.getuid?.() ?? 0, env = process.env): string {
  if (uid === 0) return '/var/log/libvirt-pmc';
  const state = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : null;
  return path.join(state ?? path.join(env.HOME || homedir(), '.local', 'state'), 'libvirt-pmc');
}

export type GateVerdict = 'allowed' | 'refused';

/** The problems that refuse: failing critical checks, and failing warnings when strict. */
export function refusingProblems(problems: readonly GateProblem[], policy: Pick<GatePolicy, 'strict'>): GateProblem[] {
  return problems.filter((p) => !p.error && (p.severity === 'critical' || (policy.strict && p.severity === 'warning')));
}

/**
 * The verdict: refused when a problem refuses; a gate that failed itself (`failure`,
 * or a check file that errored) answers what `onError` says.
 */
export function gateVerdict(decision: GateDecision | null, failure: string | null, policy: GatePolicy): GateVerdict {
  if (decision && refusingProblems(decision.problems, policy).length) return 'refused';
  const failed = failure !== null || !decision || decision.problems.some((p) => p.error);
  return failed && policy.onError === 'refuse' ? 'refused' : 'allowed';
}

/** A policy read back from a hook script: every field checked, unknown ones refused. */
export function parsePolicy(value: unknown): GatePolicy {
  const v = value as Partial<Record<keyof GatePolicy, unknown>> | null;
  const known = new Set(Object.keys(DEFAULT_POLICY));
  if (!v || typeof v !== 'object' || Object.keys(v).some((k) => !known.has(k)))
    throw invalidArgument('policy', 'a gate policy', value);
  const files = v.checkFiles;
  if (!Array.isArray(files) || !files.every((f) => typeof f === 'string' && path.isAbsolute(f))) {
    throw invalidArgument('checkFiles', 'absolute paths', files);
  }
  if (typeof v.strict !== 'boolean') throw invalidArgument('strict', 'true or false', v.strict);
  if (v.onError !== 'allow' && v.onError !== 'refuse') throw invalidArgument('onError', 'allow or refuse', v.onError);
  const t = v.timeoutMs;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 100 || t > 600_000) {
    throw invalidArgument('timeoutMs', 'a whole number of ms from 100 to 600000', t);
  }
  const j = v.journalDir;
  if (j !== null && (typeof j !== 'string' || !path.isAbsolute(j)))
    throw invalidArgument('journalDir', 'an absolute path', j);
  return { checkFiles: files as string[], strict: v.strict, onError: v.onError, timeoutMs: t, journalDir: j ?? null };
}
