import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Connection, LibvirtError } from '../../src/index.js';
import { addonCandidates } from '../../src/binding/native.js';
import type { NativeDomain } from '../../src/binding/native-types.js';
import { fixtureUri } from '../helpers/fixtures.js';
import { collectGarbage } from '../helpers/gc.js';

const CYCLES = 10_000;
// Measured on Debian 12 / Node 20: about 8 MiB of RSS (V8 growing its heap
// reservation; heapUsed stays flat) over 10,000 cycles. Before the close-listener
// fix the same loop grew 29 MiB RSS and 5 MiB heapUsed per 10,000 cycles.
const RSS_BOUND_MIB = 20;
const HEAP_USED_BOUND_MIB = 2;

const mib = (bytes: number) => bytes / 1024 / 1024;

describe('object lifetimes', () => {
  it.each([
    ['lets a closed and dropped Connection be garbage-collected', 'closed', true],
    ['lets an unclosed, dropped Connection be garbage-collected (its finalizer closes it)', 'open', false],
  ])('%s', async (_name, key, close) => {
    const collected: string[] = [];
    const registry = new FinalizationRegistry<string>((k) => collected.push(k));
    for (let i = 0; i < 10; i++) {
      const c = await Connection.open('test:///default');
      registry.register(c, `${key}-${i}`);
      await c.getHostname();
      if (close) await c.close();
    }
    await collectGarbage();
    expect(collected.length).toBeGreaterThanOrEqual(8);
  });

  it(`runs ${CYCLES} open/query/close cycles with RSS growth under ${RSS_BOUND_MIB} MiB`, async () => {
    const cycle = async (i: number) => {
      const c = await Connection.open(i % 2 ? 'test:///default' : fixtureUri('host-b'));
      const info = await c.getNodeInfo();
      expect(info.cpus).toBe(i % 2 ? 16 : 2);
      await c.close();
    };
    const lanes = 4;
    const run = (n: number) =>
      Promise.all(
        Array.from({ length: lanes }, async (_, lane) => {
          for (let i = lane; i < n; i += lanes) await cycle(i);
        }),
      );
    // warm-up: JIT, allocator arenas (one per thread: the call pool starts its threads as the lanes need them), libvirt's first-open state
    await run(3000);
    await collectGarbage(3);
    const before = process.memoryUsage();
    const started = performance.now();
    await run(CYCLES);
    const elapsed = performance.now() - started;
    await collectGarbage(3);
    const after = process.memoryUsage();
    const rss = mib(after.rss - before.rss);
    const heapUsed = mib(after.heapUsed - before.heapUsed);
    console.log(
      `[measure] RSS growth over ${CYCLES} open/query/close cycles: ${rss.toFixed(2)} MiB ` +
        `(heapUsed ${heapUsed.toFixed(2)} MiB; ${elapsed.toFixed(0)} ms, ${lanes} lanes)`,
    );
    expect(rss).toBeLessThan(RSS_BOUND_MIB);
    expect(heapUsed).toBeLessThan(HEAP_USED_BOUND_MIB);
  });

  it('keeps a Connection alive through its Domain: domain calls work after every other reference is dropped', async () => {
    const collected: string[] = [];
    const registry = new FinalizationRegistry<string>((key) => collected.push(key));
    // Only the native domain survives this function: no TS Connection, no TS Domain.
    const nativeDomain = await (async (): Promise<NativeDomain> => {
      const c = await Connection.open(fixtureUri('host-a'));
      const d = await c.lookupDomainByName('guest1');
      registry.register(c, 'ts-connection');
      registry.register(d, 'ts-domain');
      return d.native;
    })();
    await collectGarbage();
    expect(collected).toEqual(['ts-domain']); // the Domain wrapper did go…
    // …but the connection did not: the native domain holds the native connection,
    // and the TS wrapper lives as long as its native handle (Connection.fromNative).
    expect((await nativeDomain.getInfo()).vcpus).toBe(2);
    const conn = Connection.fromNative(nativeDomain.getConnection());
    expect(conn.isOpen).toBe(true);
    expect((await conn.getNodeInfo()).cpus).toBe(8);
    await conn.close();
    expect(await nativeDomain.getInfo().catch((e: LibvirtError) => e.code)).toBe('VIR_ERR_INVALID_CONN');
  });

  it('rejects (never crashes) calls on a closed connection, and on its domains', async () => {
    const c = await Connection.open(fixtureUri('host-a'));
    const d = await c.lookupDomainByName('guest1');
    await c.close();
    const calls = [c.getNodeInfo(), c.listAllDomains(), c.lookupDomainByName('guest1'), d.getInfo(), d.getXMLDesc()];
    for (const settled of await Promise.allSettled(calls)) {
      expect(settled.status).toBe('rejected');
      const reason = (settled as PromiseRejectedResult).reason as LibvirtError;
      expect(reason).toBeInstanceOf(LibvirtError);
      expect(reason.code).toBe('VIR_ERR_INVALID_CONN');
      expect(reason.message).toMatch(/closed/);
    }
  });

  it('settles every one of 50 calls in flight when the connection is closed under them', async () => {
    for (let round = 0; round < 5; round++) {
      const c = await Connection.open(fixtureUri('host-a'));
      const d = await c.lookupDomainByName('guest1');
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 50; i++) {
        calls.push(
          [() => c.getNodeInfo(), () => c.listAllDomains(), () => d.getInfo(), () => d.getXMLDesc()][i % 4]!(),
        );
        if (i === 25) void c.close(); // close in the middle: later calls reject at once
      }
      const closing = c.close();
      const settled = await Promise.allSettled(calls);
      await closing;
      // Calls queued before close hold their own libvirt reference and finish;
      // calls made after it reject with VIR_ERR_INVALID_CONN.
      settled.forEach((s, i) => {
        if (i <= 25) expect(s.status).toBe('fulfilled');
        else expect((s as PromiseRejectedResult).reason).toMatchObject({ code: 'VIR_ERR_INVALID_CONN' });
      });
    }
  });

  it('lets a process with open connections and close listeners exit on its own', () => {
    const addon = addonCandidates().find((p) => existsSync(p))!;
    const script = `
      const addon = require(${JSON.stringify(addon)});
      (async () => {
        for (let i = 0; i < 5; i++) {
          const c = await addon.Connection.open('test:///default', false);
          c.setCloseListener(() => {});
          await c.lookupDomainByName('test');
        }
        const a = await addon.Connection.open(${JSON.stringify(fixtureUri('host-a'))}, false);
        const b = await addon.Connection.open(${JSON.stringify(fixtureUri('host-b'))}, false);
        const d = await a.lookupDomainByName('guest1');
        await d.migrate3(b, [], 0).catch(() => {}); // a dedicated-thread call, finished
        console.log('done, nothing closed');
      })();`;
    const started = Date.now();
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 15_000 });
    expect(out.trim()).toBe('done, nothing closed');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
