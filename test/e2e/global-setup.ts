/**
 * Starts the lab once per run and takes it down afterwards, also when tests
 * fail (vitest calls the returned teardown in every case). The lab id is
 * PMC_LAB_ID, or `e2e` so that a run does not take over a lab started by hand.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { labDown, labUp, type LabInfo } from '../../src/lab/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabInfo;
  }
}

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const id = process.env.PMC_LAB_ID ?? 'e2e';
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
