/**
 * What libvirt runs (through the script `pmc hook install` writes): the gate
 * for one incoming migration. libvirt calls `qemu.d/<entry> GUEST migrate begin -`
 * with the domain XML on standard input, waits for the exit status (non-zero
 * cancels the migration) and puts the standard error into the error the client
 * sees. Standard output must stay empty: libvirt would take it for a replacement
 * definition. The answer always comes before the policy's deadline.
 */
import { read } from 'node:fs';
import { hostname } from 'node:os';
import { XmlDocument } from '../binding/xml.js';
import { decideIncoming, gateCheckFileProblem, type GateDecision } from './decide.js';
import { appendJournal, type JournalEntry } from './journal.js';
import { defaultJournalDir, gateVerdict, MAX_HOOK_INPUT_BYTES, refusingProblems, type GatePolicy } from './policy.js';
import { PmcError } from '../errors.js';

export interface HookResult {
  /** 0: let the migration in; 1: refuse it. */
  exitCode: 0 | 1;
  /** What goes to standard error (libvirt's error message when refused), one line each. */
  lines: string[];
  entry: JournalEntry;
}

/** Control characters and Unicode separators escaped: the lines end up in another host's terminal. */
function oneLine(text: string): string {
  return text.replace(
    /[\p{Cc}\p{Zl}\p{Zp}\u202a-\u202e\u2066-\u2069]/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Reads file descriptor `fd` (standard input) to its end, up to `limit` bytes;
 * rejects past it. With `fs.read` on the thread pool, not `process.stdin`:
 * the stream modules that getter loads cost the gate's process about 10 ms,
 * and a read that never ends still leaves the JS thread free for the deadline.
 */
export function readInput(fd = 0, limit = MAX_HOOK_INPUT_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const next = () => {
      const buffer = Buffer.allocUnsafe(64 * 1024);
      read(fd, buffer, 0, buffer.length, null, (error, n) => {
        // A non-blocking descriptor with nothing yet: ask again shortly.
        if (error?.code === 'EAGAIN') return void setTimeout(next, 5);
        if (error) return reject(error);
        if (n === 0) return resolve(Buffer.concat(chunks).toString('utf8'));
        size += n;
        if (size > limit) {
          return reject(new PmcError(`the definition on standard input is larger than ${limit} bytes`, 'ERR_PMC_GATE'));
        }
        chunks.push(buffer.subarray(0, n));
        next();
      });
    };
    next();
  });
}

async function decide(input: string, policy: GatePolicy, host: string): Promise<GateDecision> {
  const doc = XmlDocument.parse(input, { name: 'hook input', maxBytes: MAX_HOOK_INPUT_BYTES });
  const files = [];
  if (policy.checkFiles.length) {
    const { loadCheckFile } = await import('../pmc/check-file.js');
    for (const f of policy.checkFiles) {
      const file = await loadCheckFile(f);
      const problem = gateCheckFileProblem(file);
      if (problem) throw new PmcError(problem, 'ERR_PMC_GATE');
      files.push(file);
    }
  }
  return decideIncoming(doc, host, files);
}

/**
 * Decides for `guest` (libvirt's argument) from `input` (its standard input),
 * journals, and returns the exit code and lines. Never throws: a failure of
 * the gate itself, or its deadline, answers what `policy.onError` says.
 */
export async function runGate(
  guest: string,
  input: Promise<string>,
  policy: GatePolicy,
  options: { journal?: boolean } = {},
): Promise<HookResult> {
  // process.hrtime, not the global performance, whose first use loads perf_hooks (about 2 ms of the gate's start).
  const started = process.hrtime.bigint();
  const host = hostname();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the gate did not decide within ${policy.timeoutMs} ms`)),
      policy.timeoutMs,
    );
  });
  let decision: GateDecision | null = null;
  let failure: string | null = null;
  try {
    decision = await Promise.race([input.then((text) => decide(text, policy, host)), deadline]);
  } catch (error) {
    failure = (error as Error).message || String(error);
  } finally {
    clearTimeout(timer);
  }
  const verdict = gateVerdict(decision, failure, policy);
  const errored = decision?.problems.filter((p) => p.error) ?? [];
  const gateError = failure ?? (errored.length ? errored.map((p) => p.message).join('; ') : undefined);
  const lines: string[] = [];
  if (verdict === 'refused') {
    const refusing = decision ? refusingProblems(decision.problems, policy) : [];
    for (const p of refusing) lines.push(`pmc-gate on ${host}: ${p.message}`);
    if (!refusing.length && gateError) {
      lines.push(
        `pmc-gate on ${host}: the gate failed (${gateError}) and refuses on error (pmc hook install --on-error refuse)`,
      );
    }
  }
  const entry: JournalEntry = {
    time: new Date().toISOString(),
    host,
    guest: decision?.guest || guest,
    uuid: decision?.uuid ?? '',
    verdict,
    failing: (decision?.problems ?? []).map((p) => ({ check: p.check, severity: p.severity, message: p.message })),
    ...(gateError !== undefined ? { gateError } : {}),
    durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
    pid: process.pid,
  };
  if (options.journal !== false) appendJournal(policy.journalDir ?? defaultJournalDir(), entry);
  return { exitCode: verdict === 'refused' ? 1 : 0, lines: lines.map(oneLine), entry };
}
