/**
 * The verdict rule, once: which check outcomes block a migration, and what a
 * verdict allows. The truth is the C runner's `verdictOf`
 * (native/pmc/pmc-runner.c), which decides the migration; this is its mirror
 * for everything above it (the plan, execution, placement, the CLI views), and
 * `test/unit/verdict.test.ts` feeds every status × severity × strict through
 * both and compares.
 *
 * A failing or erroring critical check blocks; a failing or erroring warning
 * blocks only with strict (without it, it makes the verdict
 * allowed-with-warnings); an info check never counts; a cancelled run is
 * blocked.
 */
import type { CheckReportEntry, Verdict } from './types.js';

type Outcome = Pick<CheckReportEntry, 'status' | 'severity'>;

function failed(check: Outcome): boolean {
  return check.status === 'fail' || check.status === 'error';
}

/** Whether this outcome blocks the migration. */
export function blocks(check: Outcome, strict: boolean): boolean {
  return failed(check) && (check.severity === 'critical' || (check.severity === 'warning' && strict));
}

/** Whether this outcome is a warning that does not block (it makes the verdict allowed-with-warnings). */
export function warns(check: Outcome, strict: boolean): boolean {
  return failed(check) && check.severity === 'warning' && !strict;
}

/** The verdict of a run with these outcomes, as the C runner decides it. */
export function verdictOf(checks: readonly Outcome[], options: { strict: boolean; cancelled?: boolean }): Verdict {
  if (options.cancelled) return 'blocked';
  if (checks.some((c) => blocks(c, options.strict))) return 'blocked';
  return checks.some((c) => warns(c, options.strict)) ? 'allowed-with-warnings' : 'allowed';
}

/** The names of the checks that block a run (none for an allowed one). */
export function blockingChecks<C extends Outcome & { name: string }>(
  report: { checks: readonly C[] },
  strict: boolean,
): string[] {
  return report.checks.filter((c) => blocks(c, strict)).map((c) => c.name);
}

/** The names of the failing warnings that do not block. */
export function warningChecks<C extends Outcome & { name: string }>(
  report: { checks: readonly C[] },
  strict: boolean,
): string[] {
  return report.checks.filter((c) => warns(c, strict)).map((c) => c.name);
}

/**
 * The verdict a run would have had with strict: allowed-with-warnings means
 * some warning failed, which strict makes blocking.
 */
export function withStrict(verdict: Verdict, strict: boolean): Verdict {
  return strict && verdict === 'allowed-with-warnings' ? 'blocked' : verdict;
}

/** Whether a verdict lets the guest go there: allowed, or allowed-with-warnings unless strict. */
export function allows(verdict: Verdict, strict: boolean): boolean {
  return withStrict(verdict, strict) !== 'blocked';
}
