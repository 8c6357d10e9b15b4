import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type CheckDefinition } from '../../src/index.js';
import { fixtureUri } from '../helpers/fixtures.js';
import { useRunHosts } from '../helpers/fixture-hosts.js';

// Measured on the shared 2-core machine, 10 runs with an e2e run and other
// builds beside them: a run with a 150 ms check timeout took 157-168 ms
// (median 158; 244 and 279 ms once each); a run cancelled 20 ms in took
// 21-32 ms (median 23; 63 and 111 ms once each). The cancel bound stays under
// the 300 ms at which the signal-minding check would have written.
const TIMEOUT_RUN_BOUND_MS = 400;
const CANCEL_RUN_BOUND_MS = 250;

/** A check with the given run; critical unless said otherwise. */
function check(
  name: string,
  run: CheckDefinition['run'],
  severity: CheckDefinition['severity'] = 'critical',
): CheckDefinition {
  return { name, severity, description: `test check ${name}`, run };
}

describe('the check framework on the test driver', () => {
  const hosts = useRunHosts();

  const dryRun = (checks: CheckDefinition[], extra: Record<string, unknown> = {}) =>
    hosts.guest1.checkPMC(hosts.destination, { noBuiltins: true, checks, ...extra });

  it('starts every check at once by default', async () => {
    const n = 20;
    let started = 0;
    let releaseAll!: () => void;
    const allStarted = new Promise<void>((resolve) => (releaseAll = resolve));
    const checks = Array.from({ length: n }, (_, i) =>
      check(`test.c${i}`, async () => {
        if (++started === n) releaseAll();
        await allStarted; // resolves only if all n run concurrently
        return true;
      }),
    );
    const report = await dryRun(checks, { timeoutMs: 5000 });
    expect(report.checks.map((c) => c.status)).toEqual(Array(n).fill('pass'));
    expect(report.verdict).toBe('allowed');
  });

  it('sequential runs in list order and stops at the first critical failure', async () => {
    const order: string[] = [];
    const make = (name: string, ok: boolean, severity: CheckDefinition['severity'] = 'critical') =>
      check(
        name,
        async () => {
          order.push(name);
          await new Promise((r) => setTimeout(r, 5));
          return ok;
        },
        severity,
      );
    const report = await dryRun(
      [make('test.a', true), make('test.b', false, 'warning'), make('test.c', false), make('test.d', true)],
      { sequential: true },
    );
    expect(order).toEqual(['test.a', 'test.b', 'test.c']);
    expect(report.checks.map((c) => c.status)).toEqual(['pass', 'fail', 'fail', 'skipped']);
    expect(report.checks[3]!.message).toMatch(/test\.c/);
    expect(report.verdict).toBe('blocked');
  });

  it('gives a check that never settles an error after its timeout, and moves on', async () => {
    let aborted = false;
    const started = performance.now();
    const report = await dryRun(
      [
        check('test.hang', (ctx) => new Promise(() => ctx.signal.addEventListener('abort', () => (aborted = true)))),
        check('test.ok', () => true),
      ],
      { timeoutMs: 150 },
    );
    const elapsed = performance.now() - started;
    console.log(`[measure] a run with a 150 ms check timeout: ${elapsed.toFixed(1)} ms`);
    // It waited for the timeout, and not much longer.
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(TIMEOUT_RUN_BOUND_MS);
    expect(report.checks[0]!.durationMs).toBeGreaterThanOrEqual(150);
    expect(report.checks[0]).toMatchObject({ status: 'error' });
    expect(report.checks[0]!.message).toMatch(/timed out/);
    expect(report.checks[1]!.status).toBe('pass');
    expect(aborted).toBe(true);
    expect(report.verdict).toBe('blocked');
  });

  it('turns throws, rejections, non-Errors and junk into errors that say which', async () => {
    const report = await dryRun([
      check('test.throws', () => {
        throw new Error('boom');
      }),
      check('test.rejects', () => Promise.reject(new Error('async boom'))),
      check('test.non-error', () => {
        throw 'a string';
      }),
      check('test.junk', () => 42 as never),
      check('test.bad-status', () => ({ status: 'maybe' }) as never),
      check('test.undefined', () => undefined as never),
    ]);
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName['test.throws']).toMatchObject({ status: 'error', message: 'the check threw: boom' });
    expect(byName['test.rejects']).toMatchObject({ status: 'error', message: 'the check rejected: async boom' });
    expect(byName['test.non-error']!.message).toBe('the check threw a non-Error value: a string');
    expect(byName['test.junk']!.message).toMatch(/returned number 42/);
    expect(byName['test.bad-status']!.status).toBe('error');
    expect(byName['test.undefined']!.message).toMatch(/returned undefined/);
  });

  it('keeps messages and details of a result object', async () => {
    const report = await dryRun([
      check(
        'test.detailed',
        () => ({ status: 'fail', message: 'not enough', details: { need: 4, have: 2 } }),
        'warning',
      ),
    ]);
    expect(report.checks[0]).toMatchObject({ status: 'fail', message: 'not enough', details: { need: 4, have: 2 } });
    expect(report.checks[0]!.origin).toBe('js');
    expect(report.checks[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('derives the verdict from severities, and strict makes warnings block', async () => {
    const failing = (severity: CheckDefinition['severity']) => [check('test.x', () => false, severity)];
    expect((await dryRun(failing('info'))).verdict).toBe('allowed');
    expect((await dryRun(failing('warning'))).verdict).toBe('allowed-with-warnings');
    expect((await dryRun(failing('warning'), { strict: true })).verdict).toBe('blocked');
    expect((await dryRun(failing('critical'))).verdict).toBe('blocked');
    const erroring = [check('test.e', () => Promise.reject(new Error('x')), 'critical')];
    expect((await dryRun(erroring)).verdict).toBe('blocked');
  });

  it('marks skipped checks and refuses to skip an unknown one', async () => {
    const report = await dryRun([check('test.fails', () => false), check('test.ok', () => true)], {
      skip: ['test.fails'],
    });
    expect(report.checks[0]).toMatchObject({ status: 'skipped' });
    expect(report.verdict).toBe('allowed');
    await expect(dryRun([check('test.ok', () => true)], { skip: ['test.typo'] })).rejects.toThrow(/test\.typo/);
  });

  it('refuses duplicate names and malformed checks', async () => {
    await expect(dryRun([check('test.same', () => true), check('test.same', () => true)])).rejects.toThrow(
      /two checks are named test\.same/,
    );
    await expect(dryRun([{ name: 'test.sev', severity: 'fatal', run: () => true } as never])).rejects.toThrow(
      /severity/,
    );
    await expect(dryRun([{ name: 'test.norun', severity: 'info' } as never])).rejects.toThrow(/run must be a function/);
  });

  it('cancels before the checks: nothing runs to completion, the run is blocked', async () => {
    const controller = new AbortController();
    controller.abort();
    let ran = false;
    const report = await dryRun(
      [
        check('test.ok', () => {
          ran = true;
          return true;
        }),
      ],
      { signal: controller.signal },
    );
    expect(ran).toBe(false);
    expect(report.cancelled).toBe(true);
    expect(report.checks.map((c) => [c.status, c.message])).toEqual([['error', 'cancelled']]);
    expect(report.verdict).toBe('blocked');
  });

  it('cancels during the checks: hanging checks stop waiting at once', async () => {
    const controller = new AbortController();
    let sawAbort = false;
    let wroteAfterAbort = false;
    const started = performance.now();
    const report = await dryRun(
      [
        check('test.trigger', () => {
          setTimeout(() => controller.abort(), 20);
          return true;
        }),
        check('test.hang', () => new Promise(() => {})),
        // A check that minds its signal: its write, due 300 ms in, never happens.
        check('test.slow', async (ctx) => {
          ctx.signal.addEventListener('abort', () => (sawAbort = true));
          await sleep(300, undefined, { signal: ctx.signal });
          wroteAfterAbort = true;
          return true;
        }),
      ],
      { signal: controller.signal, timeoutMs: 20_000 },
    );
    const elapsed = performance.now() - started;
    console.log(`[measure] a run cancelled 20 ms in: ${elapsed.toFixed(1)} ms`);
    expect(elapsed).toBeLessThan(CANCEL_RUN_BOUND_MS);
    expect(report.cancelled).toBe(true);
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['test.trigger', 'pass'],
      ['test.hang', 'error'],
      ['test.slow', 'error'],
    ]);
    expect(report.verdict).toBe('blocked');
    expect(sawAbort).toBe(true);
    await sleep(400); // past the write's time
    expect(wroteAfterAbort).toBe(false);
  });

  it('lets checks await binding calls, and fetches each fact once per run', async () => {
    const checks = Array.from({ length: 10 }, (_, i) =>
      check(`test.facts${i}`, async (ctx) => {
        const [caps, info, host] = await Promise.all([
          ctx.facts.destination.capabilities(),
          ctx.facts.destination.nodeInfo(),
          ctx.destination.getHostname(),
        ]);
        return caps.includes('<capabilities>') && info.cpus === 2 && host.length > 0;
      }),
    );
    let facts!: Map<string, number>;
    checks.push(
      check('test.count', async (ctx) => {
        await new Promise((r) => setTimeout(r, 50));
        facts = new Map(ctx.facts.calls);
        return true;
      }),
    );
    const report = await dryRun(checks);
    expect(report.verdict).toBe('allowed');
    expect(facts.get('destination.capabilities')).toBe(1);
    expect(facts.get('destination.nodeInfo')).toBe(1);
  });

  it('a dry run never migrates and says the guest is on the source', async () => {
    const report = await dryRun([check('test.ok', () => true)]);
    expect(report.migration).toMatchObject({ attempted: false, succeeded: false, error: null });
    expect(report.domainLocation).toBe('source');
    expect(report.domain).toEqual({ name: 'guest1', uuid: '4a1b9c2e-0f8e-4a62-9d43-8c1c1b6f0a01' });
    expect(report.source.uri).toBe(fixtureUri('host-a'));
    expect(report.destination.uri).toBe(fixtureUri('host-b'));
  });

  it('migratePMC does not migrate when a critical check fails', async () => {
    const report = await hosts.guest1.migratePMC(hosts.destination, {
      noBuiltins: true,
      live: true,
      checks: [check('test.no', () => ({ status: 'fail', message: 'not today' }))],
    });
    expect(report.verdict).toBe('blocked');
    expect(report.migration.attempted).toBe(false);
    expect(report.domainLocation).toBe('source');
  });

  it("migratePMC attempts the migration when checks allow, and reports libvirt's refusal", async () => {
    // The test driver cannot migrate: the attempt must fail cleanly and leave the guest where it was.
    const report = await hosts.guest1.migratePMC(hosts.destination, {
      noBuiltins: true,
      live: true,
      checks: [check('test.yes', () => true)],
    });
    expect(report.verdict).toBe('allowed');
    expect(report.migration.attempted).toBe(true);
    expect(report.migration.succeeded).toBe(false);
    expect(report.migration.error?.code).toMatch(/^VIR_ERR_/);
    expect(report.domainLocation).toBe('source');
  });
});
