/**
 * The options of `pmc migrate` and `pmc check`, named after `virsh migrate`'s,
 * and their translation into RunOptions. Both commands take the same set
 * because the checks' verdicts depend on them (e.g. --copy-storage-all).
 */
import { Command, Option } from 'commander';
import { MAX_OF_TYPE, migrationOptionTable, type OptionRow, type OptionTable } from '../options/index.js';
import { MAX_CHECK_TIMEOUT_MS } from '../pmc/run-options.js';
import { DEFAULT_MAX_XML_BYTES } from '../binding/xml.js';
import { CliError } from '../errors.js';
import { readReplacementXml } from '../model/replacement-xml.js';
import type { RunOptions } from '../pmc/run-options.js';
import { commaList, wholeNumber } from './arguments.js';
import { debugOption } from './errors.js';
import { addExternalCheckOptions, type ExternalCheckCliOptions } from './external-checks.js';
import { readInputFile } from './input-file.js';

/**
 * What commander hands the action: the table's options under their commander
 * names (virsh's spelling camel-cased, e.g. `undefinesource`), and ours.
 */
export interface MigrationCliOptions extends ExternalCheckCliOptions {
  readonly [tableOption: string]: unknown;
  pmc?: boolean;
  /** virsh's named forms of the first two arguments. */
  domain?: string;
  desturi?: string;
  direct?: boolean;
  /** The row migrateUri: also the third argument. */
  migrateuri?: string;
  /** The row timeout: a client-side action of `pmc migrate`. */
  timeout?: number;
  verbose?: boolean;
  skipCheck?: string[];
  strict?: boolean;
  sequential?: boolean;
  checkTimeout?: number;
  json?: boolean;
  color?: boolean;
  debug?: boolean;
}

/**
 * The arguments of `pmc migrate` / `pmc check` as virsh takes them:
 * `<domain> <desturi> [migrateuri]`, the first two also named (`--domain`,
 * `--desturi`); resolveMigrationArguments puts them together.
 */
export function addMigrationArguments(command: Command, desturiHelp: string): Command {
  return command
    .usage('[options] <domain> <desturi> [migrateuri]')
    .argument('[domain]', 'domain name, UUID or ID on the source (or --domain)')
    .argument('[desturi]', `${desturiHelp} (or --desturi)`)
    .argument('[migrateuri]', 'migration stream URI (same as --migrateuri)')
    .option('--domain <name>', "the domain, named (virsh's --domain)")
    .option('--desturi <uri>', "the destination connection URI, named (virsh's --desturi)");
}

export interface MigrationArguments {
  domain: string;
  desturi: string;
  migrateuri: string | undefined;
}

/** As virsh does: the named ones take their places, the positional ones fill the others in order. */
export function resolveMigrationArguments(
  positional: readonly (string | undefined)[],
  opts: MigrationCliOptions,
): MigrationArguments {
  const rest = positional.filter((a): a is string => a !== undefined);
  const domain = opts.domain ?? rest.shift();
  const desturi = opts.desturi ?? rest.shift();
  const migrateuri = rest.shift();
  if (rest.length > 0)
    throw new CliError(
      `too many arguments: ${rest.map((a) => `'${a}'`).join(' ')} (with --domain or --desturi, give fewer positional ones)`,
    );
  if (domain === undefined) throw new CliError("missing required argument 'domain' (or --domain)");
  if (desturi === undefined) throw new CliError("missing required argument 'desturi' (or --desturi)");
  return { domain, desturi, migrateuri };
}

/** The commander Option of a row: its spelling, help (with what it needs) and value parser. */
function tableOption(row: OptionRow, table: OptionTable): Option | undefined {
  if (!row.cli) return undefined;
  const needs = row.needs ? ` (needs ${row.needs.map((other) => spelling(table, other)).join(' or ')})` : '';
  const option = new Option(row.cli.flags, row.help + needs);
  if (row.type === 'string-list') option.argParser(commaList(row.cli.choices));
  else if (row.type === 'int' || row.type === 'ullong') {
    option.argParser(wholeNumber(row.cli.min ?? 0, Math.min(row.cli.max ?? Infinity, MAX_OF_TYPE[row.type])));
  }
  return option;
}

/** `--long` of a row, for messages. */
function spelling(table: OptionTable, name: string): string {
  const flags = table[name]?.cli?.flags;
  return flags ? (new Option(flags).long ?? name) : name;
}

/** Adds the option table's options (virsh migrate's set) and ours to `command`. */
export function addMigrationOptions(command: Command, table: OptionTable = migrationOptionTable): Command {
  for (const row of Object.values(table)) {
    const option = tableOption(row, table);
    if (option) command.addOption(option);
  }
  const virsh = command
    .addOption(new Option('--direct', 'direct migration (not supported: the QEMU driver has none)'))
    .option('--verbose', 'show migration progress (also when not on a terminal)')
    // Ours: the checks and the output.
    .option('--skip-check <name>', 'mark a check skipped (repeatable; or comma-separated)', commaList());
  // --checks-file and --plugin here, so --help lists them where they always were.
  return addExternalCheckOptions(virsh)
    .option('--strict', 'failing warnings block the migration too')
    .option('--sequential', 'run checks one by one in list order, stopping at the first critical failure')
    .option(
      '--check-timeout <ms>',
      'per-check timeout in milliseconds (default 30000)',
      wholeNumber(1, MAX_CHECK_TIMEOUT_MS),
    )
    .option('--json', 'print the report as JSON (docs/report.schema.json)')
    .option('--no-color', 'no colour (NO_COLOR is honoured too)')
    .addOption(debugOption());
}

/**
 * The contents of an XML file option (virsh --xml, --persistent-xml): a
 * regular file (a FIFO or device would block or never end), at most the XML
 * parser's limit, a well-formed <domain> definition. Whether its UUID is this
 * guest's is for the migration.flags check, once the guest is known.
 */
function readXmlFile(option: string, file: string): string {
  const text = readInputFile(option, file, DEFAULT_MAX_XML_BYTES);
  const xml = readReplacementXml(text, `${option} ${file}`);
  if (typeof xml === 'string') throw new CliError(xml);
  return text;
}

/** What `toRunOptions` needs besides the parsed options. */
export interface RunOptionsContext {
  /** Checks run (`pmc check`, `pmc migrate --pmc`, the fleet commands); false: plain `virsh migrate`. */
  withChecks: boolean;
  /** `pmc migrate`'s third argument, the migration URI. */
  migrateUriArg?: string;
  /** The option table (a test's, with a synthetic row); default the real one. */
  table?: OptionTable;
}

/**
 * Validates the combination the way virsh and libvirt would, but before any
 * connection is opened, and turns it into RunOptions.
 */
export function toRunOptions(opts: MigrationCliOptions, context: RunOptionsContext): RunOptions {
  const { withChecks, migrateUriArg } = context;
  const table: OptionTable = context.table ?? migrationOptionTable;
  if (opts.direct) {
    throw new CliError(
      "--direct is not supported: libvirt's QEMU driver has no direct migration; use the default (managed) migration or --p2p",
    );
  }
  // Each row's value as commander parsed it, by the row's name.
  const given = new Map<string, unknown>();
  for (const [name, row] of Object.entries(table)) {
    const option = tableOption(row, table);
    const value = option ? opts[option.attributeName()] : undefined;
    if (value !== undefined) given.set(name, value);
  }
  for (const [name, row] of Object.entries(table)) {
    if (!given.has(name)) continue;
    for (const other of row.conflicts ?? []) {
      if (given.has(other))
        throw new CliError(`${spelling(table, name)} and ${spelling(table, other)} are mutually exclusive`);
    }
    if (row.needs && !row.needs.some((other) => given.has(other))) {
      throw new CliError(
        `${spelling(table, name)} needs ${row.needs.map((other) => spelling(table, other)).join(' or ')}`,
      );
    }
  }
  // A row's `needs` is one of; virsh's --timeout-postcopy needs --timeout (its row) and --postcopy.
  if (given.has('timeoutPostcopy') && !given.has('postcopy')) throw new CliError('--timeout-postcopy needs --postcopy');
  if (opts.skipCheck && !withChecks) throw new CliError('--skip-check needs --pmc (without it no check runs)');
  if ((opts.checksFile || opts.plugin) && !withChecks) {
    throw new CliError(`${opts.checksFile ? '--checks-file' : '--plugin'} needs --pmc (without it no check runs)`);
  }
  if (migrateUriArg !== undefined && opts.migrateuri !== undefined && migrateUriArg !== opts.migrateuri) {
    throw new CliError('the migration URI is given twice (argument and --migrateuri)');
  }

  const run: Record<string, unknown> = {};
  for (const [name, value] of given) {
    const row = table[name]!;
    if (row.cliOnly) continue; // done by the command itself (virsh's --timeout)
    run[name] = row.cli?.file ? readXmlFile(row.cli.flags.split(' ')[0]!, value as string) : value;
  }
  if (migrateUriArg !== undefined && table.migrateUri) run.migrateUri = migrateUriArg;
  const ours: RunOptions = {
    skip: opts.skipCheck,
    strict: opts.strict,
    sequential: opts.sequential,
    timeoutMs: opts.checkTimeout,
    // Without --pmc, `pmc migrate` is plain `virsh migrate`: no checks, still one report.
    noBuiltins: !withChecks,
  };
  // Leave unset options out, so the checks see exactly what was asked.
  for (const [key, value] of Object.entries(ours)) if (value !== undefined) run[key] = value;
  return run as RunOptions;
}
