import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/index.js';
import { addonCandidates } from '../../src/binding/native.js';
import { logLibvirtCalls } from '../../src/binding/call-log.js';
import { fixtureUri } from '../helpers/fixtures.js';
import { useFixtureHosts } from '../helpers/fixture-hosts.js';

// The best of five groups' event-loop p99, measured in 10 runs on the shared
// 2-core machine (an e2e run and other helpers' builds beside it): 6.2, 7.5,
// 7.9, 7.9, 8.4, 9.6, 12.7, 14.5, 15.0 ms, and 40.1 ms once, when the whole
// machine stalled (its rounds took 2.4 s instead of ~0.5 s). The figure is the
// JS-side cost of handling 200 completions at once; a call that held the JS
// thread for libvirt I/O would add its full round trip to every one of the 200.
// (One histogram over all rounds, as before, gave 16-89 ms: it measured the
// machine's load more than the binding.)
const P99_BOUND_MS = 50;

describe('concurrency', () => {
  const hosts = useFixtureHosts({ a: 'host-a', b: 'host-b' });

  it(`keeps 200 calls in flight (counted) with every result right, and event-loop p99 under ${P99_BOUND_MS} ms`, async () => {
    // Each kind of call on each host has a known answer; a mixed-up result
    // (a reply delivered to the wrong promise, data of the wrong host) fails.
    const kinds: (() => Promise<void>)[] = [
      async () => expect((await hosts.a.getNodeInfo()).cpus).toBe(8),
      async () => expect((await hosts.b.getNodeInfo()).cpus).toBe(2),
      async () =>
        expect((await hosts.a.lookupDomainByName('guest-big')).uuid).toBe('4a1b9c2e-0f8e-4a62-9d43-8c1c1b6f0a02'),
      async () =>
        expect((await hosts.b.lookupDomainByName('resident')).uuid).toBe('7b2c0d3e-1f9a-4b73-8e54-9d2d2c7a1b01'),
      async () => expect((await hosts.a.listAllNetworks()).map((n) => n.name)).toEqual(['prod']),
      async () => expect((await hosts.b.listAllStoragePools())[0]!.available).toBe(1024 ** 3),
      async () =>
        expect(await hosts.a.lookupDomainByName('nope').catch((e: { code: string }) => e.code)).toBe(
          'VIR_ERR_NO_DOMAIN',
        ),
      async () => expect((await (await hosts.a.lookupDomainByName('guest1')).getInfo()).vcpus).toBe(2),
    ];
    const round = () => Promise.allSettled(Array.from({ length: 200 }, (_, i) => kinds[i % kinds.length]!()));
    // Warm-up (JIT, first wrappers), measured: the calls the binding has taken
    // and not yet answered, counted by a pass-through spy on its handles.
    let inFlight = 0;
    let peak = 0;
    const spy = logLibvirtCalls([hosts.a, hosts.b], [], (_call, answer) => {
      peak = Math.max(peak, ++inFlight);
      return answer.finally(() => inFlight--);
    });
    try {
      await round();
    } finally {
      spy.restore();
    }
    // One call per kind starts at once (guest1's getInfo waits for its look-up): all 200 in flight together.
    expect([peak, inFlight, spy.calls.length]).toEqual([200, 0, 200 + 200 / kinds.length]);
    // Five groups of eight rounds, each with its own histogram: on a shared
    // machine another process can take the core for a while and inflate one
    // group's p99; the best group is the JS-side cost itself, which a call
    // holding the JS thread would raise in every group.
    const groups = 5;
    const roundsPerGroup = 8;
    const p99s: number[] = [];
    const started = performance.now();
    for (let g = 0; g < groups; g++) {
      const histogram = monitorEventLoopDelay({ resolution: 1 });
      histogram.enable();
      for (let r = 0; r < roundsPerGroup; r++) {
        const settled = await round();
        const failed = settled.filter((s) => s.status === 'rejected');
        expect(failed.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
      }
      histogram.disable();
      p99s.push(histogram.percentile(99) / 1e6);
    }
    const elapsed = performance.now() - started;
    const best = Math.min(...p99s);
    console.log(
      `[measure] event-loop p99 under 200 concurrent calls: best group ${best.toFixed(2)} ms ` +
        `(groups ${p99s.map((p) => p.toFixed(1)).join(', ')}; ${groups * roundsPerGroup} rounds of 200 calls in ${elapsed.toFixed(0)} ms)`,
    );
    expect(best).toBeLessThan(P99_BOUND_MS);
  });

  it('spreads 200 concurrent calls over many connections without mixing them up', async () => {
    const conns = await Promise.all(
      Array.from({ length: 20 }, (_, i) => Connection.open(fixtureUri(i % 2 ? 'host-b' : 'host-a'))),
    );
    try {
      const cpus = await Promise.all(Array.from({ length: 200 }, (_, i) => conns[i % 20]!.getNodeInfo()));
      cpus.forEach((info, i) => expect(info.cpus).toBe(i % 2 ? 2 : 8));
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
  });
});

describe('libvirt calls never use the libuv pool', () => {
  // The test driver fails a migration at once, so a migration cannot be made
  // to *occupy* a thread here (that proof, 8 real migrations beside short
  // calls, belongs to the lab e2e tests). What can be shown honestly: with
  // every libuv pool thread blocked (UV_THREADPOOL_SIZE=2, both threads stuck
  // opening FIFOs nobody writes to), 8 migrate3 calls (dedicated threads) and
  // a short call (the addon's own call pool) still run and settle. So neither
  // uses libuv's pool, nor waits for file I/O that does.
  it('settles 8 migrate3 calls and a short call while the whole libuv pool is blocked', () => {
    const addon = addonCandidates().find((p) => existsSync(p))!;
    const dir = mkdtempSync(path.join(tmpdir(), 'pmc-pool-'));
    try {
      const script = `
        const { execFileSync } = require('node:child_process');
        const fs = require('node:fs');
        const addon = require(${JSON.stringify(addon)});
        const fifos = [0, 1].map((i) => ${JSON.stringify(dir)} + '/fifo' + i);
        (async () => {
          const src = await addon.Connection.open(${JSON.stringify(fixtureUri('host-a'))}, false);
          const dst = await addon.Connection.open(${JSON.stringify(fixtureUri('host-b'))}, false);
          const dom = await src.lookupDomainByName('guest1');
          for (const f of fifos) execFileSync('mkfifo', [f]);
          // Both libuv pool threads block in open(2) until a writer appears.
          const blockers = fifos.map((f) => fs.promises.readFile(f));
          await new Promise((r) => setTimeout(r, 100));
          let shortDone = false;
          const short = src.getHostname().then(() => { shortDone = true; });
          const t0 = Date.now();
          // If migrations needed the pool they could not settle: give up after 3 s.
          let timer;
          const migrations = await Promise.race([
            Promise.allSettled(Array.from({ length: 8 }, () => dom.migrate3(dst, [], 0))),
            new Promise((r) => { timer = setTimeout(() => r([]), 3000); }),
          ]);
          clearTimeout(timer);
          const migrationMs = Date.now() - t0;
          await new Promise((r) => setTimeout(r, 200));
          const shortDoneWhileBlocked = shortDone;
          for (const f of fifos) fs.writeFileSync(f, 'x');
          await Promise.all(blockers);
          await short;
          await Promise.all([src.close(), dst.close()]);
          console.log(JSON.stringify({
            codes: migrations.map((m) => m.status === 'rejected' ? m.reason.code : 'resolved'),
            migrationMs, shortDoneWhileBlocked, shortDoneAfter: shortDone,
          }));
        })();`;
      const out = execFileSync(process.execPath, ['-e', script], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, UV_THREADPOOL_SIZE: '2' },
      });
      const result = JSON.parse(out) as {
        codes: string[];
        migrationMs: number;
        shortDoneWhileBlocked: boolean;
        shortDoneAfter: boolean;
      };
      console.log(`[measure] 8 migrate3 calls settled in ${result.migrationMs} ms with the libuv pool fully blocked`);
      expect(result.codes).toEqual(Array(8).fill('VIR_ERR_NO_SUPPORT'));
      expect(result.migrationMs).toBeLessThan(5000);
      expect(result.shortDoneWhileBlocked).toBe(true); // the short call did not need libuv's (blocked) pool
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
