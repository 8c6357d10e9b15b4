/**
 * The verdict rule has one home (src/pmc/verdict.ts) and one truth, the C
 * runner's verdictOf (native/pmc/pmc-runner.c), which decides the migration.
 * Every status × severity × strict goes through each path that answers
 * "does this block": the real C runner (a run on libvirt's test driver with
 * one JS check of that outcome), the TS rule, the plan (planEvacuation on the
 * same hosts), execution (its candidates and its reason), placement and the
 * CLI's report view; each must agree with the C runner.
 */
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/cli/report-view.js';
import { styleFor } from '../../src/cli/style.js';
import { blockers } from '../../src/fleet/evacuate.js';
import { placeDomain, planEvacuation, type CheckDefinition } from '../../src/index.js';
import type { CheckStatus, Severity } from '../../src/pmc/types.js';
import { allows, blockingChecks, verdictOf, warningChecks } from '../../src/pmc/verdict.js';
import { useRunHosts } from '../helpers/fixture-hosts.js';

const STATUSES: CheckStatus[] = ['pass', 'fail', 'error', 'skipped'];
const SEVERITIES: Severity[] = ['critical', 'warning', 'info'];
const NAME = 'combo.check';

function checkOf(status: CheckStatus, severity: Severity): CheckDefinition {
  return {
    name: NAME,
    severity,
    description: `ends ${status}`,
    run: () => {
      if (status === 'error') throw new Error('could not decide');
      if (status === 'skipped') return { status: 'skipped', message: 'does not apply' };
      return { status, message: `it is ${status}` };
    },
  };
}

const combinations = STATUSES.flatMap((status) =>
  SEVERITIES.flatMap((severity) => [false, true].map((strict) => ({ status, severity, strict }))),
);

describe('the verdict rule, every status × severity × strict, through every path', () => {
  const hosts = useRunHosts();

  it.each(combinations)('$status $severity strict=$strict', async ({ status, severity, strict }) => {
    const options = { checks: [checkOf(status, severity)], noBuiltins: true, strict };
    // The truth: the C runner's verdict.
    const report = await hosts.guest1.checkPMC(hosts.destination, options);
    expect(report.checks.map((c) => [c.name, c.status, c.severity])).toEqual([[NAME, status, severity]]);
    const truth = report.verdict;

    // What the C code says, spelled out: a failing or erroring critical check
    // blocks; a warning blocks only with strict; info never counts.
    const failing = status === 'fail' || status === 'error';
    const expected =
      failing && (severity === 'critical' || (severity === 'warning' && strict))
        ? 'blocked'
        : failing && severity === 'warning'
          ? 'allowed-with-warnings'
          : 'allowed';
    expect(truth).toBe(expected);

    // The TS rule.
    expect(verdictOf(report.checks, { strict })).toBe(truth);
    expect(blockingChecks(report, strict)).toEqual(truth === 'blocked' ? [NAME] : []);
    expect(warningChecks(report, strict)).toEqual(truth === 'allowed-with-warnings' ? [NAME] : []);
    // A non-strict run's verdict, judged with strict, as the plan and execution do.
    const lax = await hosts.guest1.checkPMC(hosts.destination, { ...options, strict: false });
    expect(allows(lax.verdict, strict)).toBe(truth !== 'blocked');

    // The plan: the candidate ranks with the run's verdict; a blocked guest stays, named what blocked it;
    // an allowed one is assigned, or refused for capacity only (the test driver's host has little free memory).
    const plan = await planEvacuation(
      { connection: hosts.source, uri: 'test:///source' },
      [{ connection: hosts.destination, uri: 'test:///candidate' }],
      { ...options, domains: ['guest1'] },
    );
    const [planned] = plan.guests;
    expect(planned!.ranking.map((r) => r.verdict)).toEqual([truth]);
    if (truth === 'blocked') {
      expect(planned).toMatchObject({ destination: null, verdict: 'blocked' });
      expect(planned!.reason).toBe(`blocked by checks on every candidate: test:///candidate: ${NAME}`);
    } else if (planned!.destination === null) {
      expect(planned!.reason).toMatch(/^capacity: the checks allow test:\/\/\/candidate, but none has room/);
    } else {
      expect(planned!.verdict).toBe(truth);
    }

    // Execution: the candidates it falls back to, and why a re-check blocked.
    expect(planned!.ranking.filter((r) => allows(r.verdict, strict)).length).toBe(truth === 'blocked' ? 0 : 1);
    expect(blockers(report, strict)).toBe(truth === 'blocked' ? `${NAME}: ${report.checks[0]!.message}` : 'blocked');

    // Placement: best is the candidate exactly when the run allows it.
    const placement = await placeDomain(
      hosts.guest1,
      [{ connection: hosts.destination, uri: 'test:///candidate' }],
      options,
    );
    expect(placement.candidates[0]!.verdict).toBe(truth);
    expect(placement.best).toBe(truth === 'blocked' ? null : 'test:///candidate');

    // The CLI's report view names what blocked, or what warned.
    const text = renderReport(report, styleFor({ isTTY: false } as NodeJS.WriteStream, undefined), {
      mode: 'check',
      withChecks: true,
      strict,
    });
    const line = /^Verdict: .*$/m.exec(text)![0];
    expect(line).toBe(
      truth === 'blocked'
        ? `Verdict: BLOCKED by ${NAME}`
        : truth === 'allowed-with-warnings'
          ? `Verdict: allowed with warnings (${NAME})`
          : 'Verdict: allowed (every check passed or was skipped)',
    );
  });
});
