/**
 * What the fleet commands (`pmc place`, `pmc evacuate`) take of `pmc
 * migrate`'s options and arguments: they check one guest against several
 * hosts, or many guests, so options that name one destination's or one
 * guest's particulars are refused, with the reason, before any connection.
 */
import { Option, type Command } from 'commander';
import { CliError } from '../errors.js';
import { migrationOptionTable, type OptionRow } from '../options/index.js';

type OptionName = keyof typeof migrationOptionTable;

function optionOf(name: OptionName): Option | undefined {
  const row: OptionRow = migrationOptionTable[name];
  return row.cli ? new Option(row.cli.flags) : undefined;
}

/** Throws `why(--flag)` for the first of `names` that `opts` (commander's values) holds. */
export function refuseOptions(
  opts: Readonly<Record<string, unknown>>,
  names: readonly OptionName[],
  why: (flag: string) => string,
): void {
  for (const name of names) {
    const option = optionOf(name);
    if (option && opts[option.attributeName()] !== undefined) throw new CliError(why(option.long ?? name));
  }
}

/** Keeps `names` out of `command`'s --help: they are refused there (refuseOptions). */
export function hideOptions(command: Command, names: readonly OptionName[]): void {
  for (const name of names) {
    const long = optionOf(name)?.long;
    command.options.find((o) => o.long === long)?.hideHelp();
  }
}

/** Rewrites the --help line of `command`'s `long` option (a migrate option meaning more here). */
export function describeOption(command: Command, long: string, description: string): void {
  const option = command.options.find((o) => o.long === long);
  if (option) option.description = description;
}

/**
 * Candidate URIs as typed: each once, and not the source's (-c) spelling.
 * (Two spellings of one host are for the checks: host.distinct blocks it.)
 */
export function checkCandidateUris(sourceUri: string | null, uris: readonly string[]): void {
  const seen = new Set<string>();
  for (const uri of uris) {
    if (uri === sourceUri)
      throw new CliError(`the candidate ${uri} is the source (-c): a host cannot take its own guests`);
    if (seen.has(uri)) throw new CliError(`the candidate ${uri} is given twice`);
    seen.add(uri);
  }
}
