/** Domain events around a real migration between the lab hosts: what a service waits for. */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { constants, type Connection, type LifecycleEvent, type MigrationIterationEvent } from '../../src/index.js';
import { LAB_VM } from '../../src/lab/index.js';
import { expectRunsOnlyOn, host, openHosts } from '../helpers/lab.js';

const lab = inject('lab');

describe('domain events in the lab', () => {
  let h1: Connection;
  let h2: Connection;

  beforeAll(async () => {
    [h1, h2] = (await openHosts(lab)) as [Connection, Connection];
  });
  afterAll(async () => {
    await Promise.all([h1?.close(), h2?.close()]);
  });

  it('a bandwidth-limited migration emits iterations, then job-completed with stats and stopped/migrated on the source', async () => {
    const dom = await h1.lookupDomainByName(LAB_VM);
    const iterations: MigrationIterationEvent[] = [];
    const sourceLifecycle: LifecycleEvent[] = [];
    h1.on('migrationIteration', (e) => iterations.push(e));
    h1.on('lifecycle', (e) => sourceLifecycle.push(e));
    const signal = AbortSignal.timeout(60_000);
    const completed = h1.once('jobCompleted', { signal, filter: (e) => e.domain.uuid === dom.uuid });
    await h1.eventsReady();

    const there = await dom.migrate3(
      h2,
      { uri: host(lab, 'host-2').migrationUri, bandwidth: 16 },
      constants.VIR_MIGRATE_LIVE,
    );
    const job = await completed;
    try {
      expect(job.domain.name).toBe(LAB_VM);
      expect(job.stats.data_processed).toBeGreaterThan(0);
      expect(job.stats.memory_iteration).toBeGreaterThanOrEqual(1);
      expect(iterations.length).toBeGreaterThanOrEqual(1);
      const numbers = iterations.map((e) => e.iteration);
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
      expect(iterations.every((e) => e.domain.uuid === dom.uuid)).toBe(true);
      // The source's guest stopped because it migrated (the event may trail the job's end a little).
      const stopped = (): LifecycleEvent | undefined =>
        sourceLifecycle.find((e) => e.event === 'stopped' && e.detail === 'migrated');
      for (let i = 0; i < 100 && !stopped(); i++) await new Promise((r) => setTimeout(r, 20));
      expect(stopped()?.domain.uuid).toBe(dom.uuid);
      console.log(
        `[measure] ${iterations.length} iteration events, job stats: ${Object.keys(job.stats).length} fields`,
      );
    } finally {
      h1.removeAllListeners('migrationIteration');
      h1.removeAllListeners('lifecycle');
      await there.migrate3(h1, { uri: host(lab, 'host-1').migrationUri }, constants.VIR_MIGRATE_LIVE);
    }
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });
});
