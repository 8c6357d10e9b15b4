/**
 * Where a guest is, never assumed: the one answer to "where does the guest
 * run" for a run's report and for an evacuation alike. After a migration
 * (attempted) both hosts are asked again; after a check alone the run's own
 * answers say it. A host that cannot be asked makes the answer `unknown`.
 */
import type { Connection } from '../binding/connection.js';
import { Domain } from '../binding/domain.js';
import { isLibvirtError } from '../errors.js';
import type { Facts } from './facts.js';
import { ACTIVE_STATES } from './parsed-facts.js';
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
  return decide(onSource, onDestination, migration);
}

/**
 * The same answer after a check alone, from the run's own facts (the
 * source's state and the destination's look-up by UUID, asked in the run's
 * first waves): nothing of ours moved the guest, so this costs no round trip.
 * Null when one of those facts failed: then ask the hosts (`locateGuest`).
 */
export async function locateFromRunFacts(uuid: string, facts: Facts): Promise<GuestLocation | null> {
  try {
    const [state, found] = await Promise.all([facts.domain.state(), facts.destination.domainByUUID(uuid)]);
    const onDestination: HostState = found === null ? 'absent' : found.active ? 'running' : 'defined';
    return decide(ACTIVE_STATES.has(state.state) ? 'running' : 'defined', onDestination, {
      attempted: false,
      succeeded: false,
    });
  } catch {
    return null;
  }
}

/** The rule, from what each host says. */
function decide(
  onSource: HostState,
  onDestination: HostState,
  migration?: Pick<MigrationOutcome, 'attempted' | 'succeeded'>,
): GuestLocation {
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
