/**
 * The report of a run (docs/report.schema.json), shaped from the native
 * runner's answer, the run's entries and what the run's facts know of both
 * hosts.
 */
import type { Connection } from '../binding/connection.js';
import { Domain } from '../binding/domain.js';
import type { NativeRunReport } from '../binding/native-types.js';
import type { Entry } from './check-list.js';
import type { Facts } from './facts.js';
import { locateFromRunFacts, locateGuest } from './locate-guest.js';
import type { CheckOrigin, CheckReportEntry, Report } from './types.js';

/** JS checks hand over JSON; native ones may hand over plain text. */
function parseDetails(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function reportEntry(c: NativeRunReport['checks'][number], entry: Entry | undefined): CheckReportEntry {
  // Assigned in the report's key order, without spreads: a plan shapes thousands of these.
  const out = { name: c.name, severity: c.severity, status: c.status, message: c.message } as CheckReportEntry;
  if (c.details !== null) out.details = parseDetails(c.details);
  out.durationMs = Math.round(c.durationMs * 1000) / 1000;
  out.origin = c.origin as CheckOrigin;
  if (entry?.description) out.description = entry.description;
  return out;
}

export async function shapeReport(
  nativeReport: NativeRunReport,
  entries: readonly Entry[],
  domain: Domain,
  destination: Connection,
  facts: Facts,
): Promise<Report & { migratedDomain?: Domain }> {
  // A host that went away during the run (its daemon died, its connection
  // closed) still gets a report: the checks that needed it say why; its name
  // is then unknown ('').
  const known = (fact: Promise<string>) => fact.catch(() => '');
  const [srcUri, srcHost, dstUri, dstHost, domainLocation] = await Promise.all([
    known(facts.source.uri()),
    known(facts.source.hostname()),
    known(facts.destination.uri()),
    known(facts.destination.hostname()),
    (!nativeReport.migration.attempted ? locateFromRunFacts(domain.uuid, facts) : Promise.resolve(null)).then(
      (known) => known ?? locateGuest(domain.uuid, domain, destination, nativeReport.migration),
    ),
  ]);

  const report: Report & { migratedDomain?: Domain } = {
    version: 1,
    domain: { name: domain.name, uuid: domain.uuid },
    source: { uri: srcUri, hostname: srcHost },
    destination: { uri: dstUri, hostname: dstHost },
    checks: nativeReport.checks.map((c, i) => reportEntry(c, entries[i])),
    verdict: nativeReport.verdict,
    migration: nativeReport.migration,
    domainLocation,
    factAgesMs: facts.agesMs,
  };
  if (nativeReport.cancelled) report.cancelled = true;
  if (nativeReport.stateError) report.stateError = nativeReport.stateError;
  if (nativeReport.migratedDomain) report.migratedDomain = new Domain(nativeReport.migratedDomain, destination);
  return report;
}
