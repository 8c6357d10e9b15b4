/** The rehearsal's e2e tests on the lab (docs/rehearsal.md): its command line and what must be left after it. */
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { Connection } from '../../src/index.js';
import type { LabInfo } from '../../src/lab/index.js';
import { removeEverywhere } from './check-lab.js';
import { expectRunsOnlyOn, host } from './lab.js';

/** `pmc -c <host-1> check --live --json <options> NAME <host-2> <host-2's migration URI>`. */
export function rehearsalCheckArgs(lab: LabInfo, name: string, options: string[]): string[] {
  const [h1, h2] = [host(lab, 'host-1'), host(lab, 'host-2')];
  return ['-c', h1.uri, 'check', '--live', '--json', ...options, name, h2.uri, h2.migrationUri];
}

/** Resolves once `cond` holds (a throw counts as not yet), asked every 10 ms; throws after `timeoutMs`. */
export async function pollUntil(
  what: string,
  cond: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const holds = await Promise.resolve()
      .then(cond)
      .catch(() => false);
    if (holds) return;
    if (Date.now() > end) throw new Error(`never reached: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** QEMU processes of guest `name`, as `ps` sees them on this machine (every lab host's). */
export function qemuProcesses(name: string): string[] {
  const out = execFileSync('ps', ['-eo', 'user:32,args', '--no-headers'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(`guest=${name},`));
}

/** Nothing of `name` on host-2: no domain (active or not), no QEMU as host-2's user. */
export async function expectNothingLeftOnHost2(lab: LabInfo, h2: Connection, name: string): Promise<void> {
  expect(await h2.lookupDomainByName(name).catch(() => null)).toBeNull();
  const user2 = host(lab, 'host-2').user;
  expect(qemuProcesses(name).filter((l) => l.startsWith(`${user2} `))).toEqual([]);
}

/**
 * After a rehearsal of `name` (host-1 to host-2) that a fault interrupted:
 * the daemons clean up as they notice closed connections, so this waits for
 * the incoming domain to go and the source's migration job to end, then
 * asserts that host-2 has neither domain nor QEMU of the guest and that it
 * runs, not paused, on host-1 alone. Removes the guest everywhere at the end.
 * Opens its own connections: the caller's may have died with a daemon.
 */
export async function expectRehearsalLeftNothing(lab: LabInfo, name: string): Promise<void> {
  const [c1, c2] = [await Connection.open(host(lab, 'host-1').uri), await Connection.open(host(lab, 'host-2').uri)];
  try {
    await pollUntil(
      'no incoming domain on host-2',
      async () => (await c2.lookupDomainByName(name).catch(() => null)) === null,
    );
    await pollUntil(
      'the source job ended',
      async () => (await (await c1.lookupDomainByName(name)).getJobInfo()).type === 'none',
    );
    await expectNothingLeftOnHost2(lab, c2, name);
    await expectRunsOnlyOn(lab, name, 'host-1');
  } finally {
    await removeEverywhere([c1, c2], name);
    await c1.close();
    await c2.close();
  }
}
