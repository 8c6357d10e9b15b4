/**
 * The addon's call pool over a slow wire: many short libvirt calls are in
 * flight at once on one connection (not 4 at a time, libuv's pool), so 16 of
 * them through a delaying proxy take about one round trip, not four.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Connection } from '../../src/index.js';
import { delayProxyScript } from '../../src/lab/delay-proxy.js';

const RTT = 100;
const CALLS = 16;

describe('the call pool over a slow wire', () => {
  let dir: string;
  let proxy: ChildProcess;
  let conn: Connection;
  beforeAll(async () => {
    const host = inject('lab').hosts[0]!;
    const daemonSocket = new URL(host.daemonUri).searchParams.get('socket')!;
    dir = mkdtempSync(path.join(os.tmpdir(), 'pmc-call-pool-'));
    const listen = path.join(dir, 'proxy.sock');
    // The lab's proxy (half the round trip each way), as a process of its own, in front of the first host.
    proxy = spawn(process.execPath, ['-e', delayProxyScript(), listen, daemonSocket, String(RTT / 2)], {
      stdio: 'inherit',
    });
    for (let i = 0; i < 100 && !existsSync(listen); i++) await sleep(50);
    conn = await Connection.open(`qemu:///session?socket=${listen}`);
  });
  afterAll(async () => {
    await conn?.close();
    proxy?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`answers ${CALLS} concurrent calls on one connection in about one round trip of ${RTT} ms`, async () => {
    // getLibVersion, not getHostname: the lab daemons' hostname look-up may wait for DNS.
    const one = performance.now();
    await conn.getLibVersion();
    const single = performance.now() - one;
    expect(single).toBeGreaterThanOrEqual(RTT - 1);
    // The best of three bursts: one burst took 207 ms once in CI (a stall of the loaded machine, the
    // proxy's or the daemon's, not a second wave: 4 at a time take 4 round trips every time).
    const bursts: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const started = performance.now();
      const versions = await Promise.all(Array.from({ length: CALLS }, () => conn.getLibVersion()));
      bursts.push(performance.now() - started);
      expect(new Set(versions.map((v) => JSON.stringify(v))).size).toBe(1);
      if (bursts.at(-1)! < 1.5 * RTT) break;
    }
    console.log(
      `[measure] 1 call: ${single.toFixed(0)} ms; ${CALLS} at once: ${bursts.map((b) => b.toFixed(0)).join(', ')} ms (RTT ${RTT} ms)`,
    );
    // 4 at a time would take 4 round trips; all at once take one, and the daemon's few ms.
    expect(Math.min(...bursts)).toBeLessThan(1.5 * RTT);
  });

  it('describes every storage pool (its info, XML, persistence: calls of their own) at once: about two round trips, not one per call', async () => {
    const started = performance.now();
    const pools = await conn.listAllStoragePools();
    const elapsed = performance.now() - started;
    console.log(`[measure] listAllStoragePools of ${pools.length} pools: ${elapsed.toFixed(0)} ms (RTT ${RTT} ms)`);
    expect(pools.length).toBeGreaterThanOrEqual(2);
    // The list, then every pool's three calls at once: two round trips (205 ms alone; 306 ms once, late
    // in a full e2e run on a loaded machine). One after another it is 1 + 3 per pool, 7 for two
    // (libuv's pool of 4 took 712 ms): anything under 3.5 is "at once".
    expect(elapsed).toBeLessThan(3.5 * RTT);
  });
});
