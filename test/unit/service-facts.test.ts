/**
 * The service fact cache (src/pmc/service-facts.ts): host facts kept across
 * runs per connection for a TTL, dropped on the connection's lifecycle
 * events, each report saying how old its facts were; and the JS thread's
 * longest synchronous slice while checks run (the event-loop histogram).
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { Connection, ServiceFactCache, type CheckDefinition } from '../../src/index.js';
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

  /** This thread's time on a CPU so far, ns (Linux): what its own work took, without the time it waited for one. */
  const onCpuNs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);

  /** 20 JS checks that each hold the thread for 1 ms, as a caller's synchronous checks might. */
  const busyChecks: CheckDefinition[] = Array.from({ length: 20 }, (_, i) => ({
    name: `busy.${i}`,
    severity: 'warning',
    description: 'Holds the JS thread for 1 ms.',
    run: () => {
      const end = performance.now() + 1;
      while (performance.now() < end);
      return true;
    },
  }));

  it('never holds the loop long: the longest synchronous slice of a check run stays short', async () => {
    const options = { live: true, checks: busyChecks };
    // Warm: the JIT, the models parsed once per document.
    for (let i = 0; i < 3; i++) await run.guest1.checkPMC(run.destination, options);
    // A timer every millisecond reads the thread's CPU time: the most it grew between two ticks
    // is the longest slice of work, in CPU time, so another process taking the core (this
    // machine's noise) does not count; the event-loop histogram, which counts it, is printed.
    let last = onCpuNs();
    let longestNs = 0;
    const ticks = setInterval(() => {
      const now = onCpuNs();
      longestNs = Math.max(longestNs, now - last);
      last = now;
    }, 1);
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    for (let i = 0; i < 10; i++) await run.guest1.checkPMC(run.destination, options);
    h.disable();
    clearInterval(ticks);
    const longestMs = longestNs / 1e6;
    console.log(
      `[measure] longest slice of 10 runs (34 built-ins + 20 checks of 1 ms): ${longestMs.toFixed(1)} ms on the CPU; event-loop delay max ${(h.max / 1e6).toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms`,
    );
    expect(longestMs).toBeLessThan(BOUND_MS);
  });
});

/**
 * The longest slice allowed, ms of CPU time. Measured: 5–7 ms (the built-ins'
 * own longest piece, 5–6 ms, is most of it); with every JS check started in
 * one turn, as before the dispatcher's slices, the 20 checks alone hold the
 * thread 20 ms and more.
 */
const BOUND_MS = 12;
