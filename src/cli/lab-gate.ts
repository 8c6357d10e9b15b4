/**
 * `pmc lab up --hook [hosts]`: the gate on chosen lab hosts only. Each lab host
 * sees its own /etc/libvirt/hooks (docs/lab.md), so installing into its
 * `hooksDir` gates that host alone; its daemon is then reloaded (SIGHUP:
 * libvirt looks for hooks again on a reload) so that it runs the gate at once.
 */
import { installGate, type InstallResult } from '../gate/install.js';
import type { GatePolicy } from '../gate/policy.js';
import type { LabHostInfo, LabInfo } from '../lab/index.js';
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
