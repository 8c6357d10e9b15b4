/**
 * The return trip after maintenance: the guests an evacuation moved go home,
 * one plan per host they went to, each executed like any plan (evacuate).
 */
import { parseCallerEvacuation } from './plan-file.js';
import type { EvacuationGuest, EvacuationPlan, EvacuationReport } from './types.js';

/**
 * The return trip after maintenance: from a finished evacuation's report, one
 * plan per host guests went to, each moving its guests back to the report's
 * source (guests that moved and are there now, verified when the report was made).
 */
export function returnPlans(report: EvacuationReport): EvacuationPlan[] {
  report = parseCallerEvacuation(report);
  const byHost = new Map<string, EvacuationGuest[]>();
  for (const g of report.guests) {
    if (!g.migration.succeeded || g.domainLocation !== 'destination' || g.destination === null) continue;
    const back: EvacuationGuest = {
      ...g,
      destination: report.source,
      verdict: 'allowed',
      reason: `return trip from ${g.destination}`,
      ranking: [{ uri: report.source, verdict: 'allowed', score: 0 }],
      migration: { attempted: false, succeeded: false, durationMs: 0, error: null },
      domainLocation: 'source',
    };
    byHost.set(g.destination, [...(byHost.get(g.destination) ?? []), back]);
  }
  return [...byHost].map(([host, guests]) => ({
    version: 1,
    source: host,
    candidates: [report.source],
    options: report.options,
    guests,
  }));
}
