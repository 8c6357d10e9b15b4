/**
 * What fleet work (placement, planning, evacuation) refuses of a single
 * migration's options. One guest
 * is checked against several hosts, or many guests are moved: an option that
 * names one destination's or one guest's particulars would apply to all of
 * them, and could send a guest to a host no check looked at. The API, the
 * plan-file parser and the CLI all refuse through here.
 */
import type { MigrationOptions } from '../pmc/types.js';

/** Options naming one destination: where the source daemon sends it (p2p), its addresses, its certificate's name. */
export const PER_DESTINATION = [
  'destinationUri',
  'migrateUri',
  'listenAddress',
  'graphicsUri',
  'disksUri',
  'tlsDestination',
] as const;
/** Options naming one guest: its new name and definitions. */
export const PER_GUEST = ['destName', 'destXml', 'persistentXml'] as const;
/** Options `pmc migrate` acts on while its one migration runs (virsh's --timeout, its switches to post-copy). */
export const MIGRATE_ACTIONS = ['timeout', 'timeoutSuspend', 'timeoutPostcopy', 'postcopyAfterPrecopy'] as const;

export type FleetRefusedOption = (typeof PER_DESTINATION | typeof PER_GUEST | typeof MIGRATE_ACTIONS)[number];

/**
 * The first option of `options` that fleet work with `candidates` hosts, for
 * one guest (placement) or many (an evacuation), cannot honour, with why;
 * null when there is none. Per-destination options are fine with one
 * candidate (they are that candidate's), per-guest ones with one guest.
 */
export function refusedFleetOption(
  options: Readonly<Record<string, unknown>>,
  candidates: number,
  guests: 'one' | 'many',
): { name: FleetRefusedOption; why: string } | null {
  const given = (name: string) => options[name] !== undefined;
  for (const name of MIGRATE_ACTIONS)
    if (given(name)) return { name, why: 'acts on one running migration, which fleet work does not drive' };
  if (guests === 'many')
    for (const name of PER_GUEST) if (given(name)) return { name, why: "names one guest's particulars" };
  if (candidates > 1)
    for (const name of PER_DESTINATION)
      if (given(name)) return { name, why: "names one destination's particulars, and there are several candidates" };
  return null;
}

/** Throws a RangeError for the first option fleet work cannot honour (refusedFleetOption). */
export function validateFleetOptions(
  options: Readonly<MigrationOptions>,
  candidates: number,
  guests: 'one' | 'many',
): void {
  const refused = refusedFleetOption(options as Readonly<Record<string, unknown>>, candidates, guests);
  if (refused) throw new RangeError(`${refused.name} ${refused.why}`);
}
