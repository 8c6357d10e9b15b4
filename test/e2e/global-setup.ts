/**
 * Starts the lab once per run and takes it down afterwards, also when tests
 * fail (vitest calls the returned teardown in every case). The lab id is
 * PMC_LAB_ID, or `e2e` so that a run does not take over a lab started by hand.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { labDown, labUp, type LabInfo } from '../../src/lab/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabInfo;
  }
}

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/**
 * The lab's daemons run as users of their own, and the gate they run (gate and
 * rehearsal-gate tests) is this checkout's dist/gate/hook-main.cjs: a checkout
 * under a directory only root may enter (`mktemp -d` makes one, 0700) hides it
 * from them ("Cannot find module"). Lets others pass through (o+x: enter, not
 * list) every directory above the checkout.
 */
function letLabUsersReachCheckout(): void {
  for (let dir = fileURLToPath(new URL('../..', import.meta.url)); ; dir = path.dirname(dir)) {
    const { mode } = statSync(dir);
    if ((mode & 0o001) === 0) chmodSync(dir, (mode & 0o7777) | 0o001);
    if (dir === path.dirname(dir)) return;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const id = process.env.PMC_LAB_ID ?? 'e2e';
  letLabUsersReachCheckout();
  const started = performance.now();
  // Three hosts: placement and evacuation need two candidates besides the source.
  const lab = await labUp({ id, hosts: 3 });
  console.log(`lab "${id}" up in ${Math.round(performance.now() - started)} ms`);
  project.provide('lab', lab);

  // On Ctrl-C or SIGTERM vitest exits without running teardowns. This listener
  // runs after vitest's and before its exit timer fires: take the lab down
  // synchronously, through the built CLI.
  const onSignal = () => {
    if (!existsSync(cli)) {
      console.error(`interrupted: the lab is still up, run \`pmc lab down --id ${id}\``);
      return;
    }
    spawnSync(process.execPath, [cli, 'lab', 'down', '--id', id], { stdio: 'inherit' });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  return async () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    const stopping = performance.now();
    await labDown({ id });
    console.log(`lab "${id}" down in ${Math.round(performance.now() - stopping)} ms`);
  };
}
