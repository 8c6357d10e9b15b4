/**
 * `pmc lab up --hook [hosts]`: the gate on chosen lab hosts only. Each lab host
 * sees its own /etc/libvirt/hooks (docs/lab.md), so installing into its
 * `hooksDir` gates that host alone; its daemon is then reloaded (SIGHUP:
 * libvirt looks for hooks again on a reload) so that it runs the gate at once.
 * Each host's user must be able to run the gate from where the package is:
 * that is tried first, as that user.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hookMainPath, installGate, type InstallResult } from '../gate/install.js';
import { DEFAULT_POLICY, type GatePolicy } from '../gate/policy.js';
import type { LabHostInfo, LabInfo } from '../lab/index.js';
import { accountOf, type Account } from '../lab/users.js';
import { CliError } from '../errors.js';

/** The hosts `spec` names: `true` (all), or a comma list of names (`host-2`) or numbers (`2`). */
export function chosenLabHosts(lab: LabInfo, spec: string | true): LabHostInfo[] {
  if (spec === true) return lab.hosts;
  return spec.split(',').map((part) => {
    const name = /^\d+$/.test(part.trim()) ? `host-${part.trim()}` : part.trim();
    const found = lab.hosts.find((h) => h.name === name);
    if (!found)
      throw new CliError(`--hook: the lab has no host "${part}" (it has ${lab.hosts.map((h) => h.name).join(', ')})`);
    return found;
  });
}

/** Installs the gate on `hosts` and reloads their daemons when they must see it. */
export async function installLabGates(
  hosts: readonly LabHostInfo[],
  policy: Partial<GatePolicy> = {},
): Promise<InstallResult[]> {
  const results: InstallResult[] = [];
  for (const host of hosts) {
    const account = accountOf(host.user);
    if (!account) throw new CliError(`--hook: the lab's user ${host.user} (${host.name}) does not exist`);
    probeGateAs(account, { ...DEFAULT_POLICY, ...policy }, `--hook: ${host.name}'s user ${host.user}`);
    const result = await installGate({ ...policy, hooksDir: host.hooksDir });
    // A daemon that found no qemu hook when it started looks again on SIGHUP (virHookCall's reload).
    if (result.daemonMustReload && host.pid > 0) reload(host.pid);
    results.push(result);
  }
  return results;
}

/** SIGHUP to a lab daemon; one that is gone (ESRCH) finds the hook when it starts again, so there is nothing to do. */
function reload(pid: number): void {
  try {
    process.kill(pid, 'SIGHUP');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Runs the gate's process once as `account`, as libvirt's hook would (a clean
 * environment, a definition on standard input), with `policy` and a journal
 * it cannot write (so the probe leaves no entry: an unwritable journal never
 * changes a verdict). A gate its user cannot run (a package under a directory
 * only root may enter) would fail on every incoming migration, and by default
 * let it in: refused here with what that process said.
 */
export function probeGateAs(account: Account, policy: GatePolicy, who: string, entry = hookMainPath()): void {
  const noJournal = mkdtempSync(path.join(os.tmpdir(), 'pmc-gate-probe-')); // root's, 0700
  try {
    const argv = [process.execPath, entry, JSON.stringify({ ...policy, journalDir: path.join(noJournal, 'journal') })];
    const r = spawnSync(
      'setpriv',
      [
        `--reuid=${account.uid}`,
        `--regid=${account.gid}`,
        '--init-groups',
        '--',
        ...argv,
        'pmc-lab-probe',
        'migrate',
        'begin',
        '-',
      ],
      {
        input: "<domain type='qemu'><name>pmc-lab-probe</name></domain>",
        encoding: 'utf8',
        env: { PATH: '/usr/bin:/bin' },
        timeout: 30_000,
      },
    );
    // 0 or 1 with the gate's own lines: the gate ran and decided.
    const decided =
      r.status === 0 || (r.status === 1 && r.stderr.split('\n').every((l) => l.startsWith('pmc-gate on ')));
    if (!decided) {
      // Node's own failure is the line naming the error ("Error: Cannot find module …"), not the stack above it.
      const lines = r.stderr.trim().split('\n');
      const said =
        (r.error?.message ?? lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.slice(0, 3).join(' | ')) ||
        `exit status ${r.status}`;
      throw new CliError(
        `${who} cannot run the gate (${entry}): ${said}. Let it reach the package (every directory above it needs o+x, its files o+r).`,
      );
    }
  } finally {
    rmSync(noJournal, { recursive: true, force: true });
  }
}
