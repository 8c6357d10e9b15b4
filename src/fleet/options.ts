/**
 * What fleet work (placement, planning, evacuation) refuses of a single
 * migration's options. One guest
 * is checked against several hosts, or many guests are moved: an option that
 * names one destination's or one guest's particulars would apply to all of
 * them, and could send a guest to a host no check looked at. The API, the
 * plan-file parser and the CLI all refuse through here.
 */
import { scopedOptions } from '../options/index.js';
import type { MigrationOptions } from '../pmc/types.js';
import { InvalidArgumentError } from '../errors.js';

/** Options naming one destination (scope 'destination' in the option table). */
export const PER_DESTINATION = scopedOptions('destination');
/** Options naming one guest: its new name and definitions (scope 'guest'). */
export const PER_GUEST = scopedOptions('guest');
/** Options `pmc migrate` acts on while its one migration runs (scope 'running-migration'). */
export const MIGRATE_ACTIONS = scopedOptions('running-migration');

export type FleetRefusedOption = (typeof PER_DESTINATION | typeof PER_GUEST | typeof MIGRATE_ACTIONS)[number];

/** What fleet work is doing: how many candidates, for one guest or many, and whether the options come from a file. */
export interface FleetScope {
  candidates: number;
  guests: 'one' | 'many';
  /**
   * The options come from a plan file: per-destination options are refused
   * whatever the number of candidates, since the checks look at the
   * candidate while the source daemon would dial what the file says.
   */
  file?: boolean;
}

/**
 * The first option of `options` that fleet work of `scope` cannot honour,
 * with why; null when there is none. Per-destination options are fine with
 * one candidate given by the caller (they are that candidate's), never in a
 * file; per-guest ones with one guest.
 */
export function refusedFleetOption(
  options: Readonly<Record<string, unknown>>,
  scope: FleetScope,
): { name: FleetRefusedOption; why: string } | null {
  const given = (name: string) => options[name] !== undefined;
  for (const name of MIGRATE_ACTIONS)
    if (given(name)) return { name, why: 'acts on one running migration, which fleet work does not drive' };
  if (scope.guests === 'many')
    for (const name of PER_GUEST) if (given(name)) return { name, why: "names one guest's particulars" };
  if (scope.file)
    for (const name of PER_DESTINATION)
      if (given(name))
        return {
          name,
          why: "names one destination's particulars, which a plan file may not choose (the checks look at the candidate)",
        };
  if (scope.candidates > 1)
    for (const name of PER_DESTINATION)
      if (given(name)) return { name, why: "names one destination's particulars, and there are several candidates" };
  return null;
}

/** Throws for the first option fleet work cannot honour (refusedFleetOption). */
export function validateFleetOptions(options: Readonly<MigrationOptions>, scope: FleetScope): void {
  const refused = refusedFleetOption(options as Readonly<Record<string, unknown>>, scope);
  if (refused) throw new InvalidArgumentError(`${refused.name} ${refused.why}`);
}
