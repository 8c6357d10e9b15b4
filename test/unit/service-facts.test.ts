/**
 * The service fact cache (src/pmc/service-facts.ts): host facts kept across
 * runs per connection for a TTL, dropped on the connection's lifecycle
 * events, each report saying how old its facts were; and the JS thread's
 * longest synchronous slice while checks run (the event-loop histogram).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { Connection, ServiceFactCache } from '../../src/index.js';
import { logLibvirtCalls } from '../../src/binding/call-log.js';
import { fixtureUri } from '../helpers/fixtures.js';
import { useRunHosts } from '../helpers/fixture-hosts.js';

const transient = (name: string): string =>
  `<domain type='test'><name>${name}</name><memory>1024</memory><os><type>hvm</type></os></domain>`;

describe('the service fact cache', () => {
  const run = useRunHosts();

  /** The libvirt calls of one checkPMC, by name, and its report. */
  async function checkCounting(factCache?: ServiceFactCache) {
    const log = logLibvirtCalls([run.source, run.destination], [run.guest1]);
    try {
      const report = await run.guest1.checkPMC(run.destination, { live: true, ...(factCache ? { factCache } : {}) });
      return { report, calls: log.calls.map((c) => c.name) };
    } finally {
      log.restore();
    }
  }

  it('answers a second run from the kept host facts, and its report says how old they were', async () => {
    const factCache = new ServiceFactCache({ ttlMs: 60_000 });
    try {
      const first = await checkCounting(factCache);
      const second = await checkCounting(factCache);
      expect(first.calls).toContain('getCapabilities');
      // The host questions are not asked again; the guest's own are (its XML, its state) …
      expect(second.calls).not.toContain('getCapabilities');
      expect(second.calls).not.toContain('listAllStoragePools');
      expect(second.calls).toContain('getXMLDesc');
      expect(second.calls).toContain('getState');
      // … and so is the connection's liveness.
      expect(second.calls).toContain('isAlive');
      expect(second.report.verdict).toBe(first.report.verdict);
      expect(first.report.factAgesMs?.['destination.capabilities']).toBe(0);
      expect(second.report.factAgesMs?.['destination.capabilities']).toBeGreaterThanOrEqual(0);
      expect(second.report.factAgesMs?.['domain.migratableXml']).toBe(0);
      expect(second.report.factAgesMs?.['destination.isAlive']).toBe(0);
    } finally {
      factCache.close();
    }
  });

  it('asks again once the TTL has passed, and every run without it asks afresh', async () => {
    const factCache = new ServiceFactCache({ ttlMs: 0 });
    try {
      await checkCounting(factCache);
      await new Promise((r) => setTimeout(r, 5));
      expect((await checkCounting(factCache)).calls).toContain('getCapabilities');
    } finally {
      factCache.close();
    }
    expect((await checkCounting()).calls).toContain('getCapabilities');
    const fresh = await checkCounting();
    expect(Object.values(fresh.report.factAgesMs ?? {}).every((age) => age === 0)).toBe(true);
  });

  it('keeps what a guest starting changes only while events arrive, and drops it on one', async () => {
    await using conn = await Connection.open('test:///default');
    const factCache = new ServiceFactCache({ ttlMs: 60_000 });
    try {
      let asked = 0;
      const ask = () => factCache.get(conn, 'freeMemory', () => (asked++, conn.getFreeMemory())).value;
      await ask();
      await conn.eventsReady();
      await new Promise((r) => setImmediate(r));
      await ask();
      const kept = asked;
      await ask();
      expect(asked).toBe(kept);
      const started = conn.once('lifecycle');
      await conn.createDomain(transient('fact-cache-a'));
      await started;
      await ask();
      expect(asked).toBe(kept + 1);
      // A host fact no guest changes stays.
      await factCache.get(conn, 'capabilities', () => conn.getCapabilities()).value;
      const again = factCache.get(conn, 'capabilities', () => Promise.reject(new Error('asked again')));
      await expect(again.value).resolves.toContain('<capabilities>');
    } finally {
      factCache.close();
    }
    expect(conn.listenerCount('lifecycle')).toBe(0);
  });

  it('never shares facts between two connections, and forgets a closed one', async () => {
    const factCache = new ServiceFactCache({ ttlMs: 60_000 });
    const a = await Connection.open(fixtureUri('host-a'));
    const b = await Connection.open(fixtureUri('host-b'));
    try {
      const ofA = await factCache.get(a, 'uri', () => a.getURI()).value;
      const ofB = await factCache.get(b, 'uri', () => b.getURI()).value;
      expect(ofB).not.toBe(ofA);
      await a.close();
      expect(factCache.get(a, 'uri', () => Promise.resolve('asked')).ageMs).toBe(0);
      // The next connection seen sweeps the closed one out, listeners and all.
      await using c = await Connection.open(fixtureUri('host-c'));
      factCache.get(c, 'uri', () => c.getURI());
      expect(a.listenerCount('lifecycle')).toBe(0);
    } finally {
      factCache.close();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('refuses a TTL that is no duration, and a factCache that is no ServiceFactCache', async () => {
    expect(() => new ServiceFactCache({ ttlMs: -1 })).toThrow(RangeError);
    expect(() => new ServiceFactCache({ ttlMs: Number.NaN })).toThrow(RangeError);
    await expect(
      run.guest1.checkPMC(run.destination, { factCache: {} as unknown as ServiceFactCache }),
    ).rejects.toThrow(TypeError);
  });
});

describe('the JS thread while checks run', () => {
  const run = useRunHosts();

  it('never holds the loop long: the longest synchronous slice of a check run stays short', async () => {
    // Warm: the JIT, the models parsed once per document.
    for (let i = 0; i < 5; i++) await run.guest1.checkPMC(run.destination, { live: true });
    // The longest delay of each batch of runs; the machine's noise (another process on the core)
    // lands in some batches, a slice of ours in every one: the shortest of them is ours.
    const maxima: number[] = [];
    for (let batch = 0; batch < 5; batch++) {
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      for (let i = 0; i < 6; i++) await run.guest1.checkPMC(run.destination, { live: true });
      h.disable();
      maxima.push(h.max / 1e6);
    }
    console.log(
      `[measure] longest event-loop delay per batch of 6 checks: ${maxima.map((m) => m.toFixed(1)).join(', ')} ms`,
    );
    expect(Math.min(...maxima)).toBeLessThan(BOUND_MS);
  });
});

/**
 * The longest loop delay allowed, ms. From measurement on the shared 2-core
 * machine with eight builds at once: 8–22 ms now; 28–40 ms before (every run
 * parsing its capabilities, pools and domain XML, checks started all in one
 * turn). An idle machine shows far less; this bound is for CI's noise.
 */
const BOUND_MS = 25;
