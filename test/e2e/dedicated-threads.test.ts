/**
 * Migrations wait on native threads of their own, not on libuv's pool: with
 * eight real migrations in flight (more than the pool's four threads), short
 * binding calls still answer at once.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Connection, isLibvirtError, type Domain } from '../../src/index.js';
import { guestXml } from '../../src/lab/index.js';
import { useLabHosts } from '../helpers/lab.js';

const lab = inject('lab');
const GUESTS = Array.from({ length: 8 }, (_, i) => `lab-threads-${i}`);

async function destroyEverywhere(conns: Connection[], name: string): Promise<void> {
  for (const conn of conns) {
    try {
      await (await conn.lookupDomainByName(name)).destroy();
    } catch (e) {
      if (!isLibvirtError(e, 'VIR_ERR_NO_DOMAIN')) throw e;
    }
  }
}

describe('eight migrations at once', () => {
  const hosts = useLabHosts(lab);
  afterAll(async () => {
    for (const name of GUESTS) await destroyEverywhere([hosts.h1, hosts.h2], name);
  });

  it('leave short calls unblocked, and each guest ends on exactly one host', async () => {
    expect(Number(process.env.UV_THREADPOOL_SIZE ?? 4)).toBeLessThan(GUESTS.length);
    const guests: Domain[] = [];
    for (const name of GUESTS) guests.push(await hosts.h1.createDomain(guestXml(name)));

    // No migrate URI: the destination daemon picks a port per migration from its range (and the lab's
    // migration_host tells the source where to connect).
    const started = performance.now();
    const migrations = guests.map((g) =>
      g.migrate3(hosts.h2, { bandwidth: 1 }, 1 /* VIR_MIGRATE_LIVE */).then(
        () => performance.now() - started,
        (e: unknown) => e,
      ),
    );
    let settled = 0;
    const finished = new Set<number>();
    migrations.forEach((m, i) => void m.then(() => (settled++, finished.add(i))));

    // The job of a guest still migrating. A guest whose migration completed
    // has left the source (VIR_ERR_NO_DOMAIN), or is being stopped there
    // (VIR_ERR_OPERATION_INVALID: not running), possibly before its promise
    // settled here: an expected state, and still a round trip to the daemon.
    let jobsSeen = 0;
    const jobOfAMigratingGuest = async (): Promise<void> => {
      const i = guests.findIndex((_, k) => !finished.has(k));
      if (i < 0) return;
      try {
        const { type } = await guests[i]!.getJobStats();
        if (type !== 'none') jobsSeen++;
      } catch (e) {
        if (!isLibvirtError(e, 'VIR_ERR_NO_DOMAIN', 'VIR_ERR_OPERATION_INVALID')) throw e;
      }
    };

    // Short calls while the migrations run. On a pool of four threads, four
    // migrations would hold it and the first round of short calls would queue
    // until at least four migrations had finished: at most four in flight.
    const latencies: number[] = [];
    let inFlightAfterFirstRound = -1;
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await Promise.all([hosts.h1.getHostname(), hosts.h2.getLibVersion(), jobOfAMigratingGuest()]);
      latencies.push(performance.now() - t0);
      if (i === 0) inFlightAfterFirstRound = GUESTS.length - settled;
    }
    const outcomes = await Promise.all(migrations);
    const slowestMigration = Math.max(...outcomes.map((o) => (typeof o === 'number' ? o : 0)));
    console.log(
      `[measure] short calls during 8 migrations: median ${[...latencies].sort((a, b) => a - b)[5]!.toFixed(1)} ms, ` +
        `max ${Math.max(...latencies).toFixed(1)} ms; ` +
        `${inFlightAfterFirstRound} still in flight after the first; ${jobsSeen} migration jobs seen; slowest migration ${slowestMigration.toFixed(0)} ms`,
    );

    expect(outcomes.filter((o) => typeof o !== 'number')).toEqual([]);
    expect(inFlightAfterFirstRound).toBeGreaterThanOrEqual(5);
    // The short calls did reach migrating guests' jobs, at least in the first round.
    expect(jobsSeen).toBeGreaterThanOrEqual(1);

    for (const name of GUESTS) {
      const on1 = await hosts.h1.lookupDomainByName(name).then(
        (d) => d.isActive(),
        () => false,
      );
      const on2 = await hosts.h2.lookupDomainByName(name).then(
        (d) => d.isActive(),
        () => false,
      );
      expect({ name, on1, on2 }).toEqual({ name, on1: false, on2: true });
    }
  });
});
