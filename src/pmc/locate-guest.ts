/**
 * Where the guest runs after a run. After a migration (attempted), both hosts
 * are asked again, never assumed. After a check alone, nothing of ours moved
 * the guest: the run's own answers say it (the source's state and the
 * destination's look-up of the guest's UUID, asked in the run's first waves),
 * which costs no round trip; a fact the run could not get is asked now.
 */
import type { Connection } from '../binding/connection.js';
import type { Domain } from '../binding/domain.js';
import type { NativeRunReport } from '../binding/native-types.js';
import type { Facts } from './facts.js';
import { ACTIVE_STATES } from './parsed-facts.js';
import type { Report } from './types.js';

/** Whether the guest runs on each host, asked of both at once: one round trip (two when the destination has it). */
function askBoth(domain: Domain, destination: Connection): Promise<[boolean, boolean]> {
  return Promise.all([
    domain.isActive().catch(() => false),
    destination
      .lookupDomainByUUID(domain.uuid)
      .then((d) => d.isActive())
      .catch(() => false),
  ]);
}

/** The same from the run's facts; null when one of them failed. */
async function fromFacts(domain: Domain, facts: Facts): Promise<[boolean, boolean] | null> {
  try {
    const [state, onDestination] = await Promise.all([
      facts.domain.state(),
      facts.destination.domainByUUID(domain.uuid),
    ]);
    return [ACTIVE_STATES.has(state.state), onDestination?.active ?? false];
  } catch {
    return null;
  }
}

export async function locateGuest(
  domain: Domain,
  destination: Connection,
  report: NativeRunReport,
  facts: Facts,
): Promise<Report['domainLocation']> {
  const [onSource, onDestination] =
    (!report.migration.attempted && (await fromFacts(domain, facts))) || (await askBoth(domain, destination));
  if (onSource && !onDestination) return 'source';
  if (onDestination && !onSource) return 'destination';
  if (!onSource && !onDestination) {
    // Not running anywhere (an offline migration): say where it is defined now.
    if (report.migration.succeeded) return 'destination';
    if (!report.migration.attempted) return 'source';
  }
  return 'unknown';
}
