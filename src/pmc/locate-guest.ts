/** Where the guest runs after a run: asked of both hosts, not assumed. */
import type { Connection } from '../binding/connection.js';
import type { Domain } from '../binding/domain.js';
import type { NativeRunReport } from '../binding/native-types.js';
import type { Report } from './types.js';

export async function locateGuest(
  domain: Domain,
  destination: Connection,
  report: NativeRunReport,
): Promise<Report['domainLocation']> {
  // Both hosts at once: one round trip (two when the destination has the guest).
  const [onSource, onDestination] = await Promise.all([
    domain.isActive().catch(() => false),
    destination
      .lookupDomainByUUID(domain.uuid)
      .then((d) => d.isActive())
      .catch(() => false),
  ]);
  if (onSource && !onDestination) return 'source';
  if (onDestination && !onSource) return 'destination';
  if (!onSource && !onDestination) {
    // Not running anywhere (an offline migration): say where it is defined now.
    if (report.migration.succeeded) return 'destination';
    if (!report.migration.attempted) return 'source';
  }
  return 'unknown';
}
