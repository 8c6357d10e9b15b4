/**
 * Starts the lab once per run and takes it down afterwards, also when tests
 * fail (vitest calls the returned teardown in every case). The lab id is
 * PMC_LAB_ID, or `e2e` so that a run does not take over a lab started by hand.
 */
import type { TestProject } from 'vitest/node';
import { labDown, labUp, type LabInfo } from '../../src/lab/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const id = process.env.PMC_LAB_ID ?? 'e2e';
  const started = performance.now();
  const lab = await labUp({ id });
  console.log(`lab "${id}" up in ${Math.round(performance.now() - started)} ms`);
  project.provide('lab', lab);
  return async () => {
    const stopping = performance.now();
    await labDown({ id });
    console.log(`lab "${id}" down in ${Math.round(performance.now() - stopping)} ms`);
  };
}
