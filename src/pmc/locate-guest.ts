/**
 * Where a guest is, asked of both hosts, never assumed: the one answer to
 * "where does the guest run" for a run's report and for an evacuation alike.
 * A host that cannot be asked makes the answer `unknown`.
 */
import type { Connection } from '../binding/connection.js';
import { Domain } from '../binding/domain.js';
import { isLibvirtError } from '../errors.js';
import type { MigrationOutcome, Report } from './types.js';

export type GuestLocation = Report['domainLocation'];

/** What one host says of the guest; `unanswered` when it could not be asked. */
type HostState = 'running' | 'defined' | 'absent' | 'unanswered';

/** A domain handle is asked directly (one call); a connection is asked by UUID. */
async function stateOn(host: Domain | Connection | null, uuid: string): Promise<HostState> {
  if (host === null) return 'absent';
  try {
    const domain = host instanceof Domain ? host : await host.lookupDomainByUUID(uuid);
    return (await domain.isActive()) ? 'running' : 'defined';
  } catch (error) {
    return isLibvirtError(error, 'VIR_ERR_NO_DOMAIN') ? 'absent' : 'unanswered';
  }
}

/**
 * Where the guest `uuid` is: where it runs; for a guest run on neither (an
 * offline one), where it is defined, and when it is defined on both, what
 * `migration` says happened (succeeded: the destination; not attempted: the
 * source). `unknown` when a host cannot be asked, when it runs on both, or
 * nothing decides. `source` may be the guest's handle on the source (no
 * look-up); `destination` null asks the source alone.
 */
export async function locateGuest(
  uuid: string,
  source: Domain | Connection,
  destination: Connection | null,
  migration?: Pick<MigrationOutcome, 'attempted' | 'succeeded'>,
): Promise<GuestLocation> {
  // Both hosts at once: one round trip (two for a look-up by UUID).
  const [onSource, onDestination] = await Promise.all([stateOn(source, uuid), stateOn(destination, uuid)]);
  if (onSource === 'unanswered' || onDestination === 'unanswered') return 'unknown';
  if (onSource === 'running') return onDestination === 'running' ? 'unknown' : 'source';
  if (onDestination === 'running') return 'destination';
  if (onSource === 'defined' && onDestination === 'absent') return 'source';
  if (onDestination === 'defined' && onSource === 'absent') return 'destination';
  if (onSource === 'defined' && onDestination === 'defined' && migration) {
    if (migration.succeeded) return 'destination';
    if (!migration.attempted) return 'source';
  }
  return 'unknown';
}
