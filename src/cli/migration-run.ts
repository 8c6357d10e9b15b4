/**
 * The flow shared by `pmc migrate`, `pmc check` and `pmc demo`: connect, find
 * the domain, run the checks (and the migration) with progress, print the
 * report, and answer with the exit code. Failures to connect or to find the
 * domain become one-line CliErrors.
 */
import '../api.js'; // attaches domain.checkPMC / domain.migratePMC
import { Connection } from '../binding/connection.js';
import type { Domain } from '../binding/domain.js';
import { CliError, isLibvirtError } from '../errors.js';
import type { RunOptions } from '../pmc/run-options.js';
import type { Report } from '../pmc/types.js';
import { ExitCode } from './exit-codes.js';
import { createProgressView } from './progress-view.js';
import { renderReport, reportJson } from './report-view.js';
import { styleFor } from './style.js';
import { terminalAuth } from './terminal-auth.js';

export interface MigrationRequest {
  /** `check` is the dry run (domain.checkPMC). */
  mode: 'migrate' | 'check';
  domain: string;
  /** null: LIBVIRT_DEFAULT_URI, else libvirt's default. */
  sourceUri: string | null;
  destUri: string;
  run: RunOptions;
  withChecks: boolean;
  json: boolean;
  /** false for --no-color. */
  color: boolean | undefined;
  verbose: boolean;
  /** virsh --timeout: suspend the guest (or switch to post-copy) when the live migration takes longer. */
  timeoutS?: number;
  /** virsh --timeout-postcopy: at the timeout, switch to post-copy instead of suspending. */
  timeoutPostcopy?: boolean;
  /** virsh --postcopy-after-precopy: switch to post-copy once the first pre-copy pass is over. */
  postcopyAfterPrecopy?: boolean;
  signal: AbortSignal;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

export interface MigrationResult {
  exitCode: ExitCode;
  report: Report;
}

export async function openConnection(uri: string | null, role: string): Promise<Connection> {
  try {
    // Credentials are asked on a terminal only (src/cli/terminal-auth.ts); otherwise never.
    const auth = terminalAuth();
    return await Connection.open(uri, auth ? { auth } : {});
  } catch (error) {
    let reason = error instanceof Error ? error.message : String(error);
    if (isLibvirtError(error, 'VIR_ERR_AUTH_FAILED') && !terminalAuth()) {
      reason += ' (the host asks for credentials: pmc asks for them only when stdin and stderr are a terminal)';
    }
    const where = uri ?? process.env.LIBVIRT_DEFAULT_URI ?? "libvirt's default URI";
    throw new CliError(`cannot connect to the ${role} ${where}: ${reason}`, ExitCode.error, { cause: error });
  }
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Like virsh: a domain is named by name, UUID or ID. */
export async function lookupDomain(connection: Connection, name: string): Promise<Domain> {
  const attempts: (() => Promise<Domain>)[] = [() => connection.lookupDomainByName(name)];
  if (UUID.test(name)) attempts.push(() => connection.lookupDomainByUUID(name));
  // An ID is a non-negative C int; a longer number can only be a name (virsh's vshLookupDomainBy).
  if (/^\d+$/.test(name) && Number(name) <= 2 ** 31 - 1) attempts.push(() => connection.lookupDomainByID(Number(name)));
  let lastError: unknown;
  for (const attempt of attempts) {
    try {
      return await attempt();
    } catch (error) {
      if (!isLibvirtError(error, 'VIR_ERR_NO_DOMAIN')) throw error;
      lastError = error;
    }
  }
  const uri = await connection.getURI().catch(() => 'the source');
  throw new CliError(`domain '${name}' not found on ${uri}`, ExitCode.error, { cause: lastError });
}

export function exitCodeOf(report: Report): ExitCode {
  if (report.cancelled) return ExitCode.interrupted;
  if (report.migration.attempted && !report.migration.succeeded) return ExitCode.migrationFailed;
  if (report.verdict === 'blocked') return ExitCode.blocked;
  if (report.stateError) return ExitCode.error;
  return ExitCode.ok;
}

/** The source domain is gone or inactive, or its job over: the migration finished meanwhile. */
function migrationOver(error: unknown): boolean {
  return isLibvirtError(error, 'VIR_ERR_OPERATION_INVALID', 'VIR_ERR_NO_DOMAIN');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** virsh --timeout: suspend the guest so the last pages stop changing, or (--timeout-postcopy) switch to post-copy. */
function actAfterTimeout(domain: Domain, seconds: number, postcopy: boolean, stderr: NodeJS.WriteStream): () => void {
  const timer = setTimeout(() => {
    const [act, done, failed] = postcopy
      ? [() => domain.migrateStartPostCopy(), 'the migration switched to post-copy', 'switch to post-copy']
      : [() => domain.suspend(), 'the guest is suspended so it completes', 'suspend the guest'];
    act().then(
      () => stderr.write(`\npmc: the migration ran longer than --timeout ${seconds} s: ${done}\n`),
      (error: unknown) => {
        if (migrationOver(error)) return;
        stderr.write(`\npmc: could not ${failed} after --timeout: ${describe(error)}\n`);
      },
    );
  }, seconds * 1000);
  return () => clearTimeout(timer);
}

/** virsh --postcopy-after-precopy: post-copy once the first pass is over (as virsh, when iteration 2 begins). */
function postcopyAfterFirstPass(domain: Domain, stderr: NodeJS.WriteStream): (iteration: number) => void {
  let switched = false;
  return (iteration) => {
    if (switched || iteration < 2) return;
    switched = true;
    domain.migrateStartPostCopy().then(
      () => stderr.write('\npmc: the first pre-copy pass is over: the migration switched to post-copy\n'),
      (error: unknown) => {
        if (migrationOver(error)) return;
        stderr.write(`\npmc: could not switch to post-copy: ${describe(error)}\n`);
      },
    );
  };
}

export async function runMigration(request: MigrationRequest): Promise<MigrationResult> {
  const stdout = request.stdout ?? process.stdout;
  const stderr = request.stderr ?? process.stderr;
  const opened: Connection[] = [];
  try {
    const source = await openConnection(request.sourceUri, 'source');
    opened.push(source);
    const domain = await lookupDomain(source, request.domain);
    const destination = await openConnection(request.destUri, 'destination');
    opened.push(destination);

    const run: RunOptions = { ...request.run, signal: request.signal };
    // Peer-to-peer: the source daemon dials the URI the operator typed, as virsh does.
    if (run.p2p && run.destinationUri === undefined) run.destinationUri = request.destUri;

    let stopTimeout: (() => void) | undefined;
    const progress = request.mode === 'migrate' ? createProgressView(stderr, request.verbose) : undefined;
    const afterPass =
      request.mode === 'migrate' && request.postcopyAfterPrecopy ? postcopyAfterFirstPass(domain, stderr) : undefined;
    if (request.mode === 'migrate' && (progress || request.timeoutS !== undefined || afterPass)) {
      run.onProgress = (p) => {
        // The first progress report means the migration job has started.
        if (request.timeoutS !== undefined && !stopTimeout) {
          stopTimeout = actAfterTimeout(domain, request.timeoutS, request.timeoutPostcopy === true, stderr);
        }
        afterPass?.(p.iteration);
        progress?.update(p);
      };
    }

    let report: Report;
    try {
      report =
        request.mode === 'migrate'
          ? await domain.migratePMC(destination, run)
          : await domain.checkPMC(destination, run);
    } finally {
      stopTimeout?.();
    }
    progress?.finish(report.migration.succeeded);

    const plain = reportJson(report);
    if (request.json) {
      stdout.write(`${JSON.stringify(plain, null, 2)}\n`);
    } else {
      const style = styleFor(stdout, request.color);
      stdout.write(renderReport(plain, style, { mode: request.mode, withChecks: request.withChecks }));
    }
    return { exitCode: exitCodeOf(plain), report: plain };
  } finally {
    await Promise.all(opened.map((c) => c.close().catch(() => undefined)));
  }
}
