/**
 * A dry run decided in JS (src/pmc/js-runner.ts, what fleet planning runs)
 * must give the report the native runner gives: the native runner is the
 * truth. The same guest, destination, checks and options go through both, on
 * libvirt's test driver, and the reports must be equal but for timings: the
 * built-ins on every fixture pair and option set, and the runner's own rules
 * (outcomes of every kind, skip, offline, timeout, cancel before and during).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { builtinChecks } from '../../src/checks/index.js';
import { Connection, type CheckDefinition, type Domain } from '../../src/index.js';
import { collectChecks } from '../../src/pmc/check-list.js';
import { DomainFacts, HostFacts, type SharedFacts } from '../../src/pmc/facts.js';
import { decidableInJs } from '../../src/pmc/js-runner.js';
import type { RunOptions } from '../../src/pmc/run-options.js';
import { runPMC } from '../../src/pmc/run.js';
import type { Report } from '../../src/pmc/types.js';
import { useFixtureHosts } from '../helpers/fixture-hosts.js';

type Run = (domain: Domain, destination: Connection, options: RunOptions, shared?: SharedFacts) => Promise<Report>;
const natively: Run = (d, dst, o, shared) => runPMC(d, dst, o, { migrate: false, builtins: builtinChecks, shared });
const inJs: Run = (d, dst, o, shared) =>
  runPMC(d, dst, o, { migrate: false, builtins: builtinChecks, shared, decideInJs: true });

/** A report without what differs from run to run: the checks' durations. */
function comparable(report: Report) {
  return { ...report, checks: report.checks.map(({ durationMs: _ms, ...rest }) => rest) };
}

/**
 * The same dry run through both runners, on the same facts, every one settled
 * before either: what is compared is the runners, not the order in which
 * libvirt answered (domain.job awaits two calls that both fail on the test
 * driver, and the first to fail names the error).
 */
async function both(domain: Domain, destination: Connection, options: RunOptions) {
  const shared: SharedFacts = {
    source: new HostFacts(domain.connection, 'source'),
    destination: new HostFacts(destination, 'destination'),
    domain: new DomainFacts(domain),
  };
  await natively(domain, destination, options, shared); // asks every fact
  const native = await natively(domain, destination, options, shared);
  const js = await inJs(domain, destination, options, shared);
  return { native, js };
}

function check(
  name: string,
  run: CheckDefinition['run'],
  severity: CheckDefinition['severity'] = 'critical',
  extra: Partial<CheckDefinition> = {},
): CheckDefinition {
  return { name, severity, description: `test check ${name}`, run, ...extra };
}

describe('a dry run decided in JS gives the native runner’s report', () => {
  const hosts = useFixtureHosts({ a: 'host-a', b: 'host-b', c: 'host-c', storage: 'host-storage' });

  const OPTION_SETS: RunOptions[] = [
    {},
    { live: true },
    { live: true, strict: true },
    { live: true, copyStorageAll: true },
    { offline: true, persistent: true, undefineSource: true },
    { live: true, skip: ['host.distinct', 'memory.available'] },
    { postcopy: true, live: true, autoConverge: true },
  ];

  it.each(OPTION_SETS.map((options) => ({ options, label: JSON.stringify(options) })))(
    'the built-ins, every guest of host-a against hosts b, c and storage: $label',
    async ({ options }) => {
      for (const domain of await hosts.a.listAllDomains()) {
        for (const destination of [hosts.b, hosts.c, hosts.storage]) {
          const { native, js } = await both(domain, destination, options);
          expect(comparable(js)).toEqual(comparable(native));
          expect(js.checks.length).toBe(builtinChecks.length);
        }
      }
    },
  );

  it('outcomes of every kind, details, origins and the verdict', async () => {
    const checks = [
      check('test.pass', () => true),
      check('test.fail', () => false, 'warning'),
      check('test.detailed', () => ({ status: 'fail', message: 'not enough', details: { need: 4 } }), 'info'),
      check('test.skips', () => ({ status: 'skipped', message: 'does not apply' })),
      check('test.bare-skip', () => ({ status: 'skipped' }) as never, 'warning'),
      check('test.throws', () => {
        throw new Error('boom');
      }),
      check('test.rejects', () => Promise.reject(new Error('async boom')), 'warning'),
      check(
        'test.non-error',
        () => {
          throw 'a string';
        },
        'info',
      ),
      check('test.junk', () => 42 as never, 'info'),
      check(
        'test.circular',
        () => {
          const details: Record<string, unknown> = {};
          details.self = details;
          return { status: 'pass', details };
        },
        'info',
      ),
      check('test.offline', () => true, 'critical', { offline: 'nothing starts there' }),
    ];
    const domain = await hosts.a.lookupDomainByName('guest1');
    for (const options of [{}, { strict: true }, { offline: true }, { skip: ['test.throws', 'test.pass'] }]) {
      const { native, js } = await both(domain, hosts.b, { noBuiltins: true, checks, ...options });
      expect(comparable(js)).toEqual(comparable(native));
    }
  });

  it('a check past its timeout: the same error, its signal aborted, the others decided', async () => {
    const domain = await hosts.a.lookupDomainByName('guest1');
    const aborted: boolean[] = [];
    const checks = [
      check('test.hang', (ctx) => new Promise(() => ctx.signal.addEventListener('abort', () => aborted.push(true)))),
      check('test.ok', () => true),
    ];
    const { native, js } = await both(domain, hosts.b, { noBuiltins: true, checks, timeoutMs: 100 });
    expect(comparable(js)).toEqual(comparable(native));
    expect(js.checks[0]).toMatchObject({ status: 'error', message: 'timed out after 100 ms' });
    expect(js.verdict).toBe('blocked');
    expect(aborted).toEqual([true, true, true]); // each run's hang (both() runs the native runner twice)
  });

  it('cancelled before it starts, and while a check hangs', async () => {
    const domain = await hosts.a.lookupDomainByName('guest1');
    const before = new AbortController();
    before.abort();
    let ran = false;
    const runs = [check('test.ok', () => (ran = true)), check('test.skipped', () => true)];
    const early = await both(domain, hosts.b, {
      noBuiltins: true,
      checks: runs,
      skip: ['test.skipped'],
      signal: before.signal,
    });
    expect(comparable(early.js)).toEqual(comparable(early.native));
    expect(ran).toBe(false);
    expect(early.js.checks.map((c) => [c.status, c.message])).toEqual([
      ['error', 'cancelled'],
      ['skipped', 'skipped on request'],
    ]);

    const reports: Report[] = [];
    for (const run of [natively, inJs]) {
      const during = new AbortController();
      const checks = [
        check('test.trigger', () => {
          setTimeout(() => during.abort(), 20);
          return true;
        }),
        check('test.hang', () => new Promise(() => {})),
        check('test.minds-signal', async (ctx) => {
          await sleep(10_000, undefined, { signal: ctx.signal });
          return true;
        }),
      ];
      reports.push(await run(domain, hosts.b, { noBuiltins: true, checks, signal: during.signal, timeoutMs: 20_000 }));
    }
    expect(comparable(reports[1]!)).toEqual(comparable(reports[0]!));
    expect(reports[1]).toMatchObject({ cancelled: true, verdict: 'blocked' });
    expect(reports[1]!.checks.map((c) => c.status)).toEqual(['pass', 'error', 'error']);
  });

  it('is used only for what it decides like the native runner: a dry run of JS checks, in parallel, unrehearsed', () => {
    const entries = collectChecks(builtinChecks, {});
    expect(decidableInJs(entries, {}, false)).toBe(true);
    expect(decidableInJs(entries, { rawMigrateFlags: 1 }, false)).toBe(true);
    expect(decidableInJs(entries, {}, true)).toBe(false);
    expect(decidableInJs(entries, { sequential: true }, false)).toBe(false);
    expect(decidableInJs(entries, { rehearse: true }, false)).toBe(false);
    const xml = [...entries, { kind: 'xml', name: 'x.y', severity: 'info', description: '', origin: 'xml' } as never];
    expect(decidableInJs(xml, {}, false)).toBe(false);
  });
});
