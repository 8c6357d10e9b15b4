/**
 * Processes the lab started, identified by pid *and* start time, so that a
 * recycled pid is never mistaken for ours and never signalled.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessRef {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot. */
  startTime: string;
}

function stat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

export function processRef(pid: number): ProcessRef | null {
  const fields = stat(pid);
  return fields ? { pid, startTime: fields[19]! } : null;
}

/** True while the process runs (a zombie has finished). */
export function isRunning(ref: ProcessRef): boolean {
  const fields = stat(ref.pid);
  return fields !== null && fields[19] === ref.startTime && fields[0] !== 'Z';
}

export function uidOf(pid: number): number | null {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m);
    return line ? Number(line[1]) : null;
  } catch {
    return null;
  }
}

async function waitForExit(ref: ProcessRef, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(ref)) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(ref: ProcessRef, graceMs = 5000): Promise<void> {
  if (!isRunning(ref)) return;
  process.kill(ref.pid, 'SIGTERM');
  if (await waitForExit(ref, graceMs)) return;
  if (isRunning(ref)) process.kill(ref.pid, 'SIGKILL');
  if (!(await waitForExit(ref, 5000))) throw new Error(`process ${ref.pid} did not exit after SIGKILL`);
}
