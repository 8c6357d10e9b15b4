/**
 * The definitions of the checks a run would have, for `pmc checks` and
 * listChecks: built-ins, the caller's JS checks, and checks from check files
 * and plugins.
 */
import { collectChecks } from './check-list.js';
import type { RunOptions } from './run-options.js';
import type { CheckDefinition, CheckOrigin, Severity } from './types.js';

export interface CheckListing {
  name: string;
  severity: Severity;
  description: string;
  origin: CheckOrigin;
  /** What it follows (built-ins), or the check file / plugin it comes from. */
  anchor?: string;
  /** Check files: the line of its <check>. */
  line?: number;
  remedy?: string;
}

export type ListChecksOptions = Pick<RunOptions, 'checks' | 'checkFiles' | 'plugins' | 'noBuiltins'>;

/** In run order, with `builtins` first; throws like a run would on duplicate names. */
export function describeChecks(builtins: readonly CheckDefinition[], options: ListChecksOptions = {}): CheckListing[] {
  return collectChecks(builtins, options).map((entry) => {
    const listing: CheckListing = {
      name: entry.name,
      severity: entry.severity,
      description: entry.description,
      origin: entry.origin,
    };
    if (entry.kind === 'js') {
      if (entry.check.anchor) listing.anchor = entry.check.anchor;
      if (entry.check.remedy) listing.remedy = entry.check.remedy;
    } else if (entry.kind === 'xml') {
      listing.anchor = entry.file.path;
      const line = entry.file.checks[entry.index]!.line;
      if (line !== undefined) listing.line = line;
    } else {
      listing.anchor = entry.plugin.path;
    }
    return listing;
  });
}
