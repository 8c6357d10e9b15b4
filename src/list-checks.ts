/**
 * The public `listChecks`, apart from src/api.ts: listing the built-ins needs
 * their metadata, not the runner, so `pmc checks` loads neither the runner nor
 * (until a check file or plugin needs it) the addon. api.ts re-exports it.
 */
import { builtinChecks } from './checks/index.js';
import { describeChecks, type CheckListing, type ListChecksOptions } from './pmc/listing.js';

/** The checks a run with these options would have, built-ins first, in run order; throws like a run would on duplicate names. */
export function listChecks(options: ListChecksOptions = {}): CheckListing[] {
  return describeChecks(builtinChecks, options);
}
