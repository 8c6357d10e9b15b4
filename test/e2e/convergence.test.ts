/**
 * The convergence forecast (migration.convergence) against real migrations of
 * a guest that dirties its memory at a chosen rate (lab/guest/dirtier.S, 128
 * MiB: QEMU's dirty-rate sampling skips smaller guests). The migration's own
 * `bandwidth` limit makes it slow enough to matter. Each case: the check's
 * forecast first, then the real migration with the same options and no
 * checks; the guest ends on exactly one host. docs/convergence.md has the
 * table this prints.
 */
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { constants, type Domain, type Report } from '../../src/index.js';
import { startDirtier } from '../../src/lab/index.js';
import { forecastConvergence, type ConvergenceInput } from '../../src/checks/migration.js';
import { removeEverywhere, uniqueName } from '../helpers/check-lab.js';
import { expectRunsOnlyOn, useLabHosts } from '../helpers/lab.js';

const lab = inject('lab');
const LIVE = constants.VIR_MIGRATE_LIVE!;
const MEMORY_MIB = 128;
/** Long enough for the guest to have filled its RAM with non-zero data (about 1 s under TCG). */
const FILL_MS = 5000;

interface Row {
  case: string;
  rateMiB: number;
  bandwidthMiB: number;
  timeoutS: number;
  measuredMiB: number;
  forecast: string;
  real: string;
}
const table: Row[] = [];

afterAll(() => {
  if (!table.length) return;
  const lines = table.map(
    (r) =>
      `| ${r.case} | ${r.rateMiB} | ${r.bandwidthMiB} | ${r.timeoutS} | ${r.measuredMiB} | ${r.forecast} | ${r.real} |`,
  );
  console.log(
    [
      '[convergence] forecast against the real migration',
      '| case | dirty MiB/s (set) | bandwidth MiB/s | timeout s | measured MiB/s | forecast | real |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...lines,
    ].join('\n'),
  );
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One sampled dirty-rate measurement of `seconds`, in MiB/s (libvirt's dirtyrate calc). */
async function measure(dom: Domain, seconds: number): Promise<number> {
  await dom.startDirtyRateCalc(seconds);
  await sleep(seconds * 1000);
  for (let i = 0; i < 50; i++) {
    const stats = await dom.getDirtyRate();
    if (stats['dirtyrate.calc_status'] === constants.VIR_DOMAIN_DIRTYRATE_MEASURED) {
      return Number(stats['dirtyrate.megabytes_per_second']);
    }
    await sleep(200);
  }
  throw new Error('the dirty-rate measurement did not finish');
}

describe('the convergence forecast against real migrations of a dirtying guest', () => {
  const hosts = useLabHosts(lab);
  const names: string[] = [];

  async function dirtier(rateMiB: number): Promise<Domain> {
    const name = uniqueName('conv');
    names.push(name);
    const dom = await startDirtier(hosts.h1, lab, { name, memoryMiB: MEMORY_MIB, rateKiB: rateMiB * 1024 });
    await sleep(FILL_MS);
    return dom;
  }

  afterEach(async () => {
    for (const name of names.splice(0)) await removeEverywhere([hosts.h1, hosts.h2], name);
  });

  /** A dirtying guest at `rateMiB`, and what the check forecasts for migrating it at `bandwidth` within `timeoutS`. */
  async function forecastFor(rateMiB: number, bandwidth: number, timeoutS: number) {
    const dom = await dirtier(rateMiB);
    const report: Report = await dom.checkPMC(hosts.h2, { live: true, bandwidth, convergenceTimeoutS: timeoutS });
    const entry = report.checks.find((c) => c.name === 'migration.convergence')!;
    const details = entry.details as { dirtyMiBPerS: number; forecast: { converges: boolean; seconds: number } };
    /** Adds this case's row to the printed table. */
    const record = (name: string, forecast: string, real: string) =>
      table.push({
        case: name,
        rateMiB,
        bandwidthMiB: bandwidth,
        timeoutS,
        measuredMiB: details.dirtyMiBPerS,
        forecast,
        real,
      });
    return { dom, entry, details, record };
  }

  it('the dirtying guest dirties what it is told: libvirt measures 16 MiB/s within 25 %', async () => {
    const dom = await dirtier(16);
    // Three 4 s windows: 64 of QEMU's 64 samples of 128 MiB per window, so about ±7 % for the mean.
    const readings = [await measure(dom, 4), await measure(dom, 4), await measure(dom, 4)];
    const mean = readings.reduce((a, b) => a + b) / readings.length;
    console.log(
      `[convergence] dirtier at 16 MiB/s: libvirt measured ${readings.join(', ')} MiB/s (mean ${mean.toFixed(1)})`,
    );
    expect(mean).toBeGreaterThanOrEqual(16 * 0.75);
    expect(mean).toBeLessThanOrEqual(16 * 1.25);
    // And an idle one (rate 0) dirties nothing once it has filled its RAM.
    const idle = await dirtier(0);
    expect(await measure(idle, 2)).toBe(0);
  }, 90_000);

  it('"will not converge": the real migration has not finished at the timeout (then aborted, the guest stays on host 1)', async () => {
    // 32 MiB/s dirtied against 8 MiB/s: every round resends all 128 MiB. At 0 MiB/s it would take 16 s.
    const [bandwidth, timeoutS] = [8, 30];
    const { dom, entry, record } = await forecastFor(32, bandwidth, timeoutS);
    expect(entry.status, entry.message).toBe('fail');
    expect(entry.message).toMatch(/will not converge/);

    const started = Date.now();
    let finishedAfterS: number | null = null;
    const migration = dom.migrate3(hosts.h2, { bandwidth }, LIVE).then(
      () => (finishedAfterS = (Date.now() - started) / 1000),
      (error: Error) => error,
    );
    await sleep(timeoutS * 1000);
    const stillRunning = finishedAfterS === null;
    if (stillRunning) await dom.abortJob();
    const outcome = await migration;
    record(
      'dirty 4× the bandwidth',
      'does not converge',
      stillRunning ? `still running at ${timeoutS} s, aborted` : `finished in ${finishedAfterS!.toFixed(1)} s`,
    );
    expect(finishedAfterS, 'the migration finished within the timeout').toBeNull();
    expect(outcome).toBeInstanceOf(Error);
    await expectRunsOnlyOn(lab, dom.name, 'host-1');
  }, 90_000);

  it('"not verifiable": the sampled rate cannot decide, the set rate lies in the stated range, and the real migration takes no less than the low end forecasts', async (ctx) => {
    // 8 MiB/s dirtied against 24 MiB/s, 8 s allowed: a 1 s window samples ~4 of 64 pages, so the range runs
    // from ~0 (pre-copy in ~5.3 s) to ~20 MiB/s (past 8 s). The middle comes out for 98 % of the samples
    // (binomial over QEMU's 64 sampled pages); the set rate itself would take ~7.7 s.
    const [rateMiB, bandwidth, timeoutS] = [8, 24, 8];
    const { dom, entry, details, record } = await forecastFor(rateMiB, bandwidth, timeoutS);
    if (entry.status !== 'fail' || !entry.message.startsWith('not verifiable')) {
      // About 1 run in 50 QEMU's random sample decides one way: this run cannot show the middle, and
      // the decided cases have tests of their own.
      console.log(`[convergence] the sample decided this time: ${entry.status}: ${entry.message}`);
      ctx.skip();
    }
    expect(entry.severity).toBe('warning');
    expect(entry.message).toMatch(/^not verifiable \(only while data flows\): whether pre-copy converges/);
    const { dirtyMiBPerSRange: range, ...input } = details as unknown as ConvergenceInput & {
      dirtyMiBPerSRange: { low: number; high: number };
    };
    expect(range.low).toBeLessThanOrEqual(rateMiB);
    expect(range.high).toBeGreaterThanOrEqual(rateMiB);
    const low = forecastConvergence({ ...input, dirtyBytesPerS: range.low * 2 ** 20 });
    expect(low.converges).toBe(true);

    const started = Date.now();
    const there = await dom.migrate3(hosts.h2, { bandwidth }, LIVE);
    const realS = (Date.now() - started) / 1000;
    record(
      'dirty 1/3 of the bandwidth, sampled too coarsely',
      `not verifiable (${range.low.toFixed(0)}–${range.high.toFixed(0)} MiB/s; ~${low.seconds.toFixed(1)} s at the low end)`,
      `migrated in ${realS.toFixed(1)} s`,
    );
    await expectRunsOnlyOn(lab, there.name, 'host-2');
    // The low end is a lower bound: the guest dirties at least that much.
    expect(realS).toBeGreaterThanOrEqual(low.seconds * 0.9);
  }, 90_000);

  it('"converges in about T s": the real migration takes T, within -10 % and +25 % + 4 s', async () => {
    // 2 MiB/s dirtied against 16 MiB/s: 128 MiB in 8 s, then ~16 MiB, then ~2 MiB fits the downtime.
    const bandwidth = 16;
    const { dom, entry, details, record } = await forecastFor(2, bandwidth, 60);
    expect(entry.status, entry.message).toBe('pass');
    const forecastS = details.forecast.seconds;

    const started = Date.now();
    const there = await dom.migrate3(hosts.h2, { bandwidth }, LIVE);
    const realS = (Date.now() - started) / 1000;
    record(
      'dirty 1/8 of the bandwidth',
      `converges in ~${forecastS.toFixed(1)} s`,
      `migrated in ${realS.toFixed(1)} s`,
    );
    await expectRunsOnlyOn(lab, there.name, 'host-2');
    // The fixed part: libvirt's Begin/Prepare/Finish and the destination QEMU's start, about 2.5 s on the lab.
    expect(realS).toBeGreaterThanOrEqual(forecastS * 0.9);
    expect(realS).toBeLessThanOrEqual(forecastS * 1.25 + 4);
  }, 90_000);
});
