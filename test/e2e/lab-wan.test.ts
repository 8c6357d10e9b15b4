/**
 * `labUp({ rtt })`: a delaying proxy per host in front of its daemon. Round
 * trips through the URIs the lab hands out take the RTT (and no more than a few
 * ms beyond); RTT 0 is the daemons' own sockets again; `down` leaves no proxy.
 * The last test takes the lab down: this file restores nothing after it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Connection } from '../../src/index.js';
import { labDown, labUp, type LabInfo } from '../../src/lab/index.js';
import { isRunning, type ProcessRef } from '../../src/lab/processes.js';

const RTT = 50;

/** The proxies lab.json records now (`down` must stop exactly these). */
function recordedProxies(lab: LabInfo): ProcessRef[] {
  const state = JSON.parse(readFileSync(path.join(lab.dir, 'lab.json'), 'utf8')) as {
    hosts: { proxy?: ProcessRef | null }[];
  };
  return state.hosts.flatMap((h) => (h.proxy ? [h.proxy] : []));
}

/** Median ms of a `getHostname()` round trip on each host, after the connection is open. */
async function hostnameRoundTrips(lab: LabInfo): Promise<number[]> {
  return Promise.all(
    lab.hosts.map(async (h) => {
      const conn = await Connection.open(h.uri);
      try {
        expect(await conn.getHostname()).toBe(h.hostname);
        const times: number[] = [];
        for (let i = 0; i < 5; i++) {
          const started = performance.now();
          await conn.getHostname();
          times.push(performance.now() - started);
        }
        return times.sort((a, b) => a - b)[2]!;
      } finally {
        await conn.close();
      }
    }),
  );
}

describe('lab with an RTT', () => {
  // A lab of its own: the last test takes it down, and other files share the run's lab.
  const id = `${inject('lab').id}wan`;
  afterAll(async () => {
    await labDown({ id });
  });

  it(`--rtt ${RTT}: every host answers through its proxy, one call in ${RTT} ms and a few more`, async () => {
    const lab = await labUp({ id, rtt: RTT });
    expect(lab.rtt).toBe(RTT);
    for (const h of lab.hosts) {
      expect(h.uri).not.toBe(h.daemonUri);
      expect(h.uri).toContain(path.join(lab.dir, h.name, 'run'));
    }
    expect(recordedProxies(lab)).toHaveLength(lab.hosts.length);
    for (const ms of await hostnameRoundTrips(lab)) {
      expect(ms).toBeGreaterThanOrEqual(RTT - 0.5);
      expect(ms).toBeLessThan(RTT + 15);
    }
  });

  it('--rtt 0: the daemons’ own sockets again, fast, and the proxies stopped', async () => {
    const before = recordedProxies(await labUp({ id, rtt: RTT }));
    const lab = await labUp({ id, rtt: 0 });
    expect(lab.rtt).toBe(0);
    for (const h of lab.hosts) expect(h.uri).toBe(h.daemonUri);
    expect(before.filter(isRunning)).toEqual([]);
    expect(recordedProxies(lab)).toEqual([]);
    for (const ms of await hostnameRoundTrips(lab)) expect(ms).toBeLessThan(10);
  });

  it('down stops the proxies: no process of theirs is left', async () => {
    const proxies = recordedProxies(await labUp({ id, rtt: RTT }));
    expect(proxies.filter(isRunning)).toHaveLength(2);
    await labDown({ id });
    expect(proxies.filter(isRunning)).toEqual([]);
  });
});
