/**
 * `pmc -c SRC evacuate [options] <desturi...>`: drain a host. Plans where each
 * guest goes (planEvacuation: every check, every candidate), then migrates them
 * (evacuate: up to --max-parallel at once, each re-checked first). --plan-only
 * prints the plan; --plan runs a saved one; --return brings moved guests home.
 */
import type { Command } from 'commander';
import type { Connection } from '../../binding/connection.js';
import { CliError } from '../../errors.js';
import { DEFAULT_MAX_PARALLEL, evacuate, MAX_PARALLEL, type EvacuateOptions } from '../../fleet/evacuate.js';
import { parseEvacuation } from '../../fleet/plan-file.js';
import { planEvacuation } from '../../fleet/plan.js';
import { returnPlans } from '../../fleet/return-trip.js';
import type { Evacuation, EvacuationGuest, EvacuationPlan, EvacuationReport, PlanOptions } from '../../fleet/types.js';
import { collect, wholeNumber } from '../arguments.js';
import { ExitCode } from '../exit-codes.js';
import { loadExternalChecks, type ExternalCheckCliOptions } from '../external-checks.js';
import { checkCandidateUris, describeOption, hideOptions, refuseOptions } from '../fleet-options.js';
import { MIGRATE_ACTIONS, PER_DESTINATION, PER_GUEST } from '../../fleet/options.js';
import { readInputFile } from '../input-file.js';
import { onInterrupt } from '../interrupt.js';
import { addMigrationOptions, toRunOptions, type MigrationCliOptions } from '../migration-options.js';
import { lookupDomain, openConnection } from '../migration-run.js';
import { terminalAuth } from '../terminal-auth.js';
import { evacuationProgressView } from '../progress-view.js';
import { formatDuration, printable, styleFor, type Style } from '../style.js';

/** A plan or report file: thousands of guests fit well under this. */
export const MAX_PLAN_FILE_BYTES = 16 * 1024 * 1024;

/** The migration options (MigrationCliOptions, but --domain repeats here) and evacuate's own. */
interface EvacuateCliOptions extends ExternalCheckCliOptions {
  readonly [tableOption: string]: unknown;
  timeout?: number;
  verbose?: boolean;
  strict?: boolean;
  json?: boolean;
  color?: boolean;
  planOnly?: boolean;
  plan?: string;
  return?: string;
  maxParallel?: number;
  domain?: string[];
  includeInactive?: boolean;
  reserveMemory?: number;
}

/** Options of one destination, one guest, or `pmc migrate`'s one running migration: refused. */
const SINGLE_MIGRATION_ONLY = [...PER_DESTINATION, ...PER_GUEST, ...MIGRATE_ACTIONS];

/** RunOptions keys an execution takes besides a plan file's options (noBuiltins: always false here). */
const EXECUTION_ONLY = new Set(['strict', 'sequential', 'noBuiltins']);

/**
 * A plan or report file, read as hostile input: a regular file (a FIFO would
 * block), at most MAX_PLAN_FILE_BYTES, JSON, of the schema's shape and version.
 */
export function readEvacuationFile(option: string, file: string, vouched: readonly string[] = []): Evacuation {
  const text = readInputFile(option, file, MAX_PLAN_FILE_BYTES);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${option}: ${file} is not JSON (${(error as Error).message})`);
  }
  try {
    return parseEvacuation(value, { vouched });
  } catch (error) {
    throw new CliError(`${option}: ${file}: ${(error as Error).message}`);
  }
}

function moved(guest: EvacuationGuest): boolean {
  return guest.migration.succeeded && guest.domainLocation === 'destination';
}

/** 130 interrupted, else 3 some migration failed, else 2 some guest not moved, else 0 (the first that applies wins). */
export function evacuationExitCode(reports: readonly Evacuation[]): ExitCode {
  const guests = reports.flatMap((r) => r.guests);
  if (reports.some((r) => r.cancelled)) return ExitCode.interrupted;
  if (guests.some((g) => g.migration.error !== null || (g.migration.attempted && !g.migration.succeeded)))
    return ExitCode.migrationFailed;
  if (guests.some((g) => !moved(g))) return ExitCode.blocked;
  return ExitCode.ok;
}

/** A plan: 2 when some guest has nowhere to go. */
export function planExitCode(plan: EvacuationPlan): ExitCode {
  return plan.guests.some((g) => g.destination === null) ? ExitCode.blocked : ExitCode.ok;
}

function guestLine(g: EvacuationGuest, style: Style, executed: boolean): string {
  const where = g.destination === null ? style.red('stays (no allowed destination)') : `→ ${printable(g.destination)}`;
  let outcome: string;
  if (!executed)
    // The reason names the verdict ("allowed-with-warnings on host2 (score …)").
    outcome = g.destination === null ? style.red(printable(g.reason)) : printable(g.reason);
  else if (moved(g)) outcome = style.green(`moved in ${formatDuration(g.migration.durationMs)}`);
  else if (g.migration.attempted || g.migration.error) outcome = style.red(`FAILED: ${printable(g.reason)}`);
  else outcome = style.yellow(`not moved: ${printable(g.reason)}`);
  const location = executed ? `  [runs on ${g.domainLocation}]` : '';
  return `  ${printable(g.domain)}${g.offline ? ' (offline)' : ''}  ${where}  ${outcome}${location}`;
}

export function renderEvacuation(e: Evacuation, style: Style, executed: boolean): string {
  const lines = [style.bold(`${executed ? 'Evacuation' : 'Evacuation plan'} of ${printable(e.source)}`)];
  for (const g of e.guests) lines.push(guestLine(g, style, executed));
  if (e.guests.length === 0) lines.push('  no guest to move');
  if (executed) {
    const count = e.guests.filter(moved).length;
    lines.push(`${count} of ${e.guests.length} guests moved${e.cancelled ? ' (interrupted)' : ''}`);
  } else {
    const nowhere = e.guests.filter((g) => g.destination === null).length;
    lines.push(`${e.guests.length - nowhere} of ${e.guests.length} guests have a destination`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The `connect` of an execution: the connections already open serve the URIs
 * they were opened with (`opened`, by the URI typed, which is what plans and
 * reports name them by); others are opened once and added, for the caller to close.
 */
function reusing(opened: Map<string, Connection>, plan: EvacuationPlan): (uri: string) => Promise<Connection> {
  return async (uri) => {
    let conn = opened.get(uri);
    if (!conn) {
      conn = await openConnection(uri, uri === plan.source ? 'source' : 'destination');
      opened.set(uri, conn);
    }
    return conn;
  };
}

type NamedConnection = { connection: Connection; uri: string };

/** A host opened and named as typed; without a URI, libvirt's default, named by its own answer. */
async function openNamed(uri: string | null, role: 'source' | 'destination'): Promise<NamedConnection> {
  const connection = await openConnection(uri, role);
  try {
    return { connection, uri: uri ?? (await connection.getURI()) };
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Opens every host at once (opening one is several round trips), unless a
 * terminal may be asked for credentials: then one after another, so that one
 * prompt is on it at a time, stopping at the first that fails. In the order given.
 */
async function openAll(
  hosts: (readonly [string | null, 'source' | 'destination'])[],
): Promise<PromiseSettledResult<NamedConnection>[]> {
  if (!terminalAuth()) return Promise.allSettled(hosts.map(([uri, role]) => openNamed(uri, role)));
  const settled: PromiseSettledResult<NamedConnection>[] = [];
  for (const [uri, role] of hosts) {
    settled.push(...(await Promise.allSettled([openNamed(uri, role)])));
    if (settled.at(-1)!.status === 'rejected') break;
  }
  return settled;
}

/** Opens the source and the candidates (into `opened`, by URI) and plans, every host named as typed. */
async function makePlan(
  sourceUri: string | null,
  destUris: string[],
  options: PlanOptions,
  opened: Map<string, Connection>,
): Promise<EvacuationPlan> {
  const settled = await openAll([[sourceUri, 'source'], ...destUris.map((uri) => [uri, 'destination'] as const)]);
  // Those that opened are the caller's to close, even when another failed.
  for (const s of settled) if (s.status === 'fulfilled') opened.set(s.value.uri, s.value.connection);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const [source, ...candidates] = settled.map((s) => (s as PromiseFulfilledResult<NamedConnection>).value);
  // --domain takes what virsh does (a name, UUID or ID); a guest not there is named in the error.
  const domains = options.domains
    ? await Promise.all(options.domains.map(async (d) => (await lookupDomain(source!.connection, d)).name))
    : undefined;
  return planEvacuation(source!, candidates, {
    ...options,
    ...(domains ? { domains } : {}),
  });
}

/** --plan: a saved plan; -c, if given, must be its source; `vouched`: the URIs the operator typed. */
function savedPlan(file: string, sourceUri: string | null, vouched: readonly string[]): EvacuationPlan {
  const plan = readEvacuationFile('--plan', file, vouched);
  if (sourceUri !== null && sourceUri !== plan.source)
    throw new CliError(`--plan: the plan evacuates ${plan.source}, not ${sourceUri} (-c)`);
  return plan;
}

/** --return: the return trip of a finished evacuation's report; -c, if given, names home as the report does. */
function returnTrip(file: string, sourceUri: string | null, vouched: readonly string[]): EvacuationPlan[] {
  const report = readEvacuationFile('--return', file, vouched);
  if (sourceUri !== null && sourceUri !== report.source)
    throw new CliError(`--return: the report evacuated ${report.source}, not ${sourceUri} (-c)`);
  return returnPlans(report);
}

/**
 * Executes `plans` one after the other (each up to its maxParallel at once),
 * with progress on stderr; the planning connections (`opened`) serve the
 * execution too. Stops starting plans once `signal` aborts.
 */
export async function executePlans(
  plans: readonly EvacuationPlan[],
  opened: Map<string, Connection>,
  request: {
    signal: AbortSignal;
    verbose: boolean;
    evacuate?: Omit<EvacuateOptions, 'signal' | 'onProgress' | 'connect'>;
  },
): Promise<EvacuationReport[]> {
  const progress = evacuationProgressView(process.stderr, request.verbose);
  const reports: EvacuationReport[] = [];
  try {
    for (const plan of plans) {
      if (request.signal.aborted) break;
      reports.push(
        await evacuate(plan, {
          ...request.evacuate,
          signal: request.signal,
          onProgress: progress,
          connect: reusing(opened, plan),
        }),
      );
    }
  } finally {
    progress.stop();
  }
  return reports;
}

async function action(destUris: string[], opts: EvacuateCliOptions, cmd: Command): Promise<void> {
  const sourceUri = cmd.optsWithGlobals<{ connect?: string }>().connect ?? null;
  const fromFile = opts.plan !== undefined ? '--plan' : opts.return !== undefined ? '--return' : null;
  if (opts.plan !== undefined && opts.return !== undefined)
    throw new CliError('--plan and --return are mutually exclusive');
  refuseOptions(
    opts,
    SINGLE_MIGRATION_ONLY,
    (flag) => `${flag} names one migration's particulars: evacuate moves many guests to several hosts`,
  );
  checkCandidateUris(sourceUri, destUris);
  const run = toRunOptions({ ...opts, domain: undefined } as MigrationCliOptions, { withChecks: true });
  if (fromFile) {
    if (opts.planOnly && fromFile === '--plan') throw new CliError('--plan-only and --plan: the plan is already made');
    const planned = Object.keys(run).filter((k) => !EXECUTION_ONLY.has(k));
    if (planned.length > 0 || opts.domain || opts.includeInactive || opts.reserveMemory !== undefined) {
      throw new CliError(
        `${fromFile}: the file carries the migration options and skipped checks; give none here ` +
          '(--strict, --sequential, --max-parallel, --checks-file and --plugin are taken)',
      );
    }
  } else if (destUris.length === 0) {
    throw new CliError('missing destination URIs: evacuate needs at least one candidate host (or --plan, --return)');
  }
  const external = await loadExternalChecks(opts);
  const style = styleFor(process.stdout, opts.color);
  const interrupt = onInterrupt("no new migration starts; running ones are aborted and libvirt's answers awaited");
  const opened = new Map<string, Connection>();
  // A file may name URIs beyond the rule for files (a lab's socket=) only where the operator typed them too.
  const typedUris = [...(sourceUri !== null ? [sourceUri] : []), ...destUris];
  try {
    let plans: EvacuationPlan[];
    if (opts.plan !== undefined) {
      plans = [savedPlan(opts.plan, sourceUri, typedUris)];
    } else if (opts.return !== undefined) {
      plans = returnTrip(opts.return, sourceUri, typedUris);
      if (plans.length === 0 && !opts.json) process.stdout.write('Return trip: no guest to bring home\n');
    } else {
      const plan = await makePlan(
        sourceUri,
        destUris,
        {
          ...run,
          ...external,
          signal: interrupt.signal,
          ...(opts.domain ? { domains: opts.domain } : {}),
          ...(opts.includeInactive ? { includeInactive: true } : {}),
          ...(opts.reserveMemory !== undefined ? { reserveMemoryMiB: opts.reserveMemory } : {}),
        },
        opened,
      );
      if (interrupt.signal.aborted)
        throw new CliError('interrupted while planning: nothing moved', ExitCode.interrupted);
      if (opts.planOnly) {
        process.stdout.write(opts.json ? `${JSON.stringify(plan, null, 2)}\n` : renderEvacuation(plan, style, false));
        process.exitCode = planExitCode(plan);
        return;
      }
      plans = [plan];
    }
    if (opts.planOnly) {
      // --return --plan-only: the return trip's plans, nothing moved.
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(plans, null, 2)}\n`
          : plans.map((p) => renderEvacuation(p, style, false)).join(''),
      );
      process.exitCode = plans.reduce<ExitCode>((code, p) => Math.max(code, planExitCode(p)) as ExitCode, ExitCode.ok);
      return;
    }

    const reports = await executePlans(plans, opened, {
      signal: interrupt.signal,
      verbose: opts.verbose === true,
      evacuate: {
        maxParallel: opts.maxParallel ?? DEFAULT_MAX_PARALLEL,
        ...(opts.strict ? { strict: true } : {}),
        run: { ...external, ...(run.sequential ? { sequential: true } : {}) },
      },
    });
    if (interrupt.signal.aborted) for (const r of reports) r.cancelled = true;
    if (reports.length === 0 && opts.return === undefined)
      throw new CliError('interrupted before the first migration: nothing moved', ExitCode.interrupted);
    const output = opts.return !== undefined ? reports : reports[0]!;
    process.stdout.write(
      opts.json
        ? `${JSON.stringify(output, null, 2)}\n`
        : reports.map((r) => renderEvacuation(r, style, true)).join(''),
    );
    process.exitCode = interrupt.signal.aborted ? ExitCode.interrupted : evacuationExitCode(reports);
  } finally {
    interrupt.dispose();
    await Promise.all([...opened.values()].map((c) => c.close().catch(() => undefined)));
  }
}

/**
 * Plans and executes the evacuation of `sourceUri` to `destUris` with the
 * report for people on stdout: the flow of `pmc evacuate`, for `pmc demo`.
 */
export async function evacuateHost(
  sourceUri: string,
  destUris: string[],
  request: { run: PlanOptions; signal: AbortSignal; verbose: boolean; color: boolean | undefined },
): Promise<ExitCode> {
  const opened = new Map<string, Connection>();
  try {
    const plan = await makePlan(sourceUri, destUris, { ...request.run, signal: request.signal }, opened);
    const reports = await executePlans([plan], opened, { signal: request.signal, verbose: request.verbose });
    if (reports.length === 0)
      throw new CliError('interrupted before the first migration: nothing moved', ExitCode.interrupted);
    process.stdout.write(renderEvacuation(reports[0]!, styleFor(process.stdout, request.color), true));
    return evacuationExitCode(reports);
  } finally {
    await Promise.all([...opened.values()].map((c) => c.close().catch(() => undefined)));
  }
}

export function registerEvacuate(program: Command): void {
  const command = program
    .command('evacuate')
    .summary('drain a host: plan where each guest goes, then migrate them, re-checked')
    .description(
      'Move every active guest of the source (-c), or the --domain ones, to the candidate hosts ' +
        '<desturi...>: a plan from every check of every guest against every candidate, then the ' +
        'migrations, up to --max-parallel at once, each guest checked again right before its own ' +
        '(when that blocks it, the next candidate the plan allowed is tried). It takes the options of ' +
        "pmc migrate, which every migration uses, except those naming one guest's or one destination's " +
        'particulars (--migrateuri, --dname, --xml, …) and --timeout. Hosts are named by their URIs as ' +
        'given, in the plan and the report; --plan and --return files name them, and may name a host ' +
        'outside the rule for URIs read from files (a qemu URI without local paths or programs: ' +
        'docs/security.md) only when it is typed here too (-c, <desturi...>).\n' +
        'Exit codes: 0 every guest moved, 2 some guest had no allowed destination (and nothing ' +
        'failed), 3 some migration failed, 130 interrupted, 1 other errors (the first of 130, 3, 2 wins).',
    )
    .usage('[options] <desturi...>')
    .argument('[desturi...]', 'candidate hosts: connection URIs, e.g. qemu+ssh://host2/system')
    .option('--plan-only', 'print the plan; migrate nothing')
    .option(
      '--plan <file>',
      'execute a saved plan (pmc evacuate --plan-only --json), re-checked; -c, if given, must be its source',
    )
    .option(
      '--return <file>',
      'bring home the guests a finished evacuation moved and that are still there (its --json report); -c, if given, must be its source',
    )
    .option('--max-parallel <n>', `migrations at once (default ${DEFAULT_MAX_PARALLEL})`, wholeNumber(1, MAX_PARALLEL))
    .option(
      '--domain <name>',
      'only this guest: name, UUID or ID (repeatable; a shut-off one moves offline); default every active guest',
      collect,
    )
    .option('--include-inactive', 'also move shut-off persistent guests, offline (with their definitions)')
    .option(
      '--reserve-memory <MiB>',
      'memory the plan keeps free on every candidate, in MiB (default 0)',
      wholeNumber(0, Math.floor(Number.MAX_SAFE_INTEGER / 2 ** 20)),
    );
  addMigrationOptions(command).addHelpText(
    'after',
    `
Examples:
  pmc -c qemu+ssh://host1/system evacuate --live --max-parallel 2 qemu+ssh://host2/system qemu+ssh://host3/system
  pmc -c qemu+ssh://host1/system evacuate --live --strict --reserve-memory 2048 --domain vm1 --domain vm2 \\
      qemu+ssh://host2/system qemu+ssh://host3/system
  pmc -c qemu+ssh://host1/system evacuate --live --plan-only --json qemu+ssh://host2/system > plan.json
  pmc evacuate --plan plan.json --json > report.json
  pmc evacuate --return report.json        # after the maintenance

Ctrl-C: no new migration starts, running ones are aborted (one already in post-copy
finishes), and the report says where every guest runs (exit 130).`,
  );
  hideOptions(command, SINGLE_MIGRATION_ONLY);
  describeOption(
    command,
    '--strict',
    'failing warnings block too: a guest goes only where every check passes (default: allowed with warnings is allowed)',
  );
  describeOption(command, '--verbose', 'a line per migration step when stderr is not a terminal (a terminal has bars)');
  describeOption(command, '--json', 'print the plan or report as JSON (docs/evacuate.schema.json)');
  command.action(action);
}
