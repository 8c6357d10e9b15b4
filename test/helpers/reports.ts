/** Reports as the runner returns them, for the tests of the CLI's views. */
import type { CheckReportEntry, Report } from '../../src/pmc/types.js';

/** One check's entry: 1 ms, a built-in unless `origin` says otherwise. */
export function entry(
  name: string,
  severity: CheckReportEntry['severity'],
  status: CheckReportEntry['status'],
  message: string,
  origin: CheckReportEntry['origin'] = 'builtin',
): CheckReportEntry {
  return { name, severity, status, message, durationMs: 1, origin };
}

/** The report of a check-only run: nothing attempted, the guest where it was. */
export function checkOnlyReport(
  parts: Pick<Report, 'domain' | 'source' | 'destination' | 'checks' | 'verdict'>,
): Report {
  return {
    version: 1,
    ...parts,
    migration: { attempted: false, succeeded: false, durationMs: 0, error: null },
    domainLocation: 'source',
  };
}
