/**
 * The report for people: everything at once, failures first, one line per
 * check, then the verdict and (after a migration) where the guest runs now.
 */
import type { CheckReportEntry, CheckStatus, Report } from '../pmc/types.js';
import { blockingChecks, warningChecks } from '../pmc/verdict.js';
import { formatDuration, printable, type Style } from './style.js';

/** Failures first: they are what the operator must act on. */
const GROUPS: { status: CheckStatus; title: string }[] = [
  { status: 'fail', title: 'Failed' },
  { status: 'error', title: 'Errored (could not run)' },
  { status: 'pass', title: 'Passed' },
  { status: 'skipped', title: 'Skipped' },
];

const STATUS_LABEL: Record<CheckStatus, string> = { fail: 'FAIL', error: 'ERROR', pass: 'PASS', skipped: 'SKIP' };

/** The report without the live Domain handle, i.e. exactly the JSON of docs/report.schema.json. */
export function reportJson(report: Report & { migratedDomain?: unknown }): Report {
  const { migratedDomain: _handle, ...plain } = report;
  return plain;
}

function statusStyle(result: CheckReportEntry, style: Style): (s: string) => string {
  if (result.status === 'pass') return style.green;
  if (result.status === 'skipped') return style.dim;
  // Failing or erroring: a critical check blocks (red), a warning warns.
  return result.severity === 'critical' ? style.red : style.yellow;
}

/** One check, one line: status, severity, name (padded to `nameWidth`), message; the one form of every view. */
export function checkLine(
  c: CheckReportEntry,
  style: Style,
  layout: { indent?: string; nameWidth?: number } = {},
): string {
  const label = statusStyle(c, style)(STATUS_LABEL[c.status].padEnd(5));
  const name = printable(c.name).padEnd(layout.nameWidth ?? 0);
  return `${layout.indent ?? '  '}${label}  ${c.severity.padEnd(8)}  ${name}  ${printable(c.message)}`;
}

/** A host as people read it: its name and the URI it was reached by (the URI alone when it has no name). */
export function hostLabel(side: { uri: string; hostname: string }): string {
  return printable(side.hostname ? `${side.hostname} (${side.uri})` : side.uri);
}

export interface ReportViewOptions {
  /** `check` is the dry run: nothing was to be migrated. */
  mode: 'migrate' | 'check';
  /** Whether checks were asked for (`pmc migrate` without --pmc runs none). */
  withChecks: boolean;
  /** The run was strict (failing warnings block); default false. */
  strict?: boolean;
}

export function renderReport(report: Report, style: Style, view: ReportViewOptions): string {
  const lines: string[] = [];
  const arrow = view.mode === 'check' ? '→ (dry run)' : '→';
  lines.push(
    style.bold(
      `Domain ${printable(report.domain.name)}: ${hostLabel(report.source)} ${arrow} ${hostLabel(report.destination)}`,
    ),
  );

  if (!view.withChecks) {
    lines.push('Checks: none (run with --pmc for pre-migration checks)');
  } else if (report.checks.length === 0) {
    lines.push('Checks: none available');
  } else {
    const nameWidth = Math.max(...report.checks.map((c) => printable(c.name).length));
    for (const group of GROUPS) {
      const members = report.checks.filter((c) => c.status === group.status);
      if (members.length === 0) continue;
      lines.push('', style.bold(`${group.title}: ${members.length}`));
      for (const c of members) {
        lines.push(checkLine(c, style, { nameWidth }));
      }
    }
  }

  lines.push('', verdictLine(report, style, view));
  const migration = migrationLine(report, style, view);
  if (migration) lines.push(migration);
  if (report.stateError) lines.push(style.yellow(`Not migrated: ${printable(report.stateError)}`));
  if (view.mode === 'migrate') lines.push(locationLine(report, style));
  return `${lines.join('\n')}\n`;
}

function verdictLine(report: Report, style: Style, view: ReportViewOptions): string {
  const strict = view.strict ?? false;
  // An interrupted run has no meaningful verdict: unfinished checks are not failures.
  if (report.cancelled && !report.migration.attempted) {
    return style.yellow('Verdict: none (interrupted before the checks finished); nothing was migrated');
  }
  switch (report.verdict) {
    case 'allowed':
      return style.green(
        view.withChecks ? 'Verdict: allowed (every check passed or was skipped)' : 'Verdict: allowed (no checks)',
      );
    case 'allowed-with-warnings': {
      const warnings = warningChecks(report, strict).map(printable);
      return style.yellow(`Verdict: allowed with warnings (${warnings.join(', ')})`);
    }
    case 'blocked': {
      const blockers = blockingChecks(report, strict).map(printable);
      const tail = view.mode === 'migrate' ? '; nothing was migrated' : '';
      return style.red(`Verdict: BLOCKED by ${blockers.join(', ') || 'the checks'}${tail}`);
    }
  }
}

function migrationLine(report: Report, style: Style, view: ReportViewOptions): string | undefined {
  const m = report.migration;
  if (view.mode === 'check') return 'Migration: not attempted (dry run)';
  if (m.attempted && m.succeeded) {
    // Interrupted too late: libvirt cannot abort a migration in post-copy (or one that has just ended).
    const late = report.cancelled ? ' (interrupted, but it could no longer be aborted, e.g. in post-copy)' : '';
    return style.green(`Migration: succeeded in ${formatDuration(m.durationMs)}${late}`);
  }
  if (m.attempted) {
    const why = m.error ? `${printable(m.error.message)} (${m.error.code})` : 'no error given';
    const verb = report.cancelled ? 'aborted' : 'failed';
    return style.red(`Migration: ${verb} after ${formatDuration(m.durationMs)}: ${why}`);
  }
  if (report.cancelled) return style.yellow('Migration: not started (interrupted)');
  return undefined;
}

function locationLine(report: Report, style: Style): string {
  switch (report.domainLocation) {
    case 'source':
      return `Guest runs on: the source, ${hostLabel(report.source)}`;
    case 'destination':
      return `Guest runs on: the destination, ${hostLabel(report.destination)}`;
    default:
      return style.red('Guest runs on: UNKNOWN — check both hosts (virsh list --all) before acting');
  }
}
