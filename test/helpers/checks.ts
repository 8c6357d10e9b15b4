/**
 * Runs one built-in check: `runCheck` through the real framework (checkPMC with
 * noBuiltins and only this check, the C runner on its own thread);
 * `runCheckDirect` calls it with a Facts object the test can inspect.
 */
import type { Connection } from '../../src/binding/connection.js';
import type { Domain } from '../../src/binding/domain.js';
import { Facts } from '../../src/pmc/facts.js';
import { fromThrown, fromValue, type NormalizedOutcome } from '../../src/pmc/outcome.js';
import type { CheckDefinition, MigrationOptions } from '../../src/pmc/types.js';

export interface CheckRun extends NormalizedOutcome {
  facts: Facts;
}

export interface FrameworkRun {
  status: 'pass' | 'fail' | 'error' | 'skipped';
  message: string;
  details?: unknown;
}

export async function runCheck(
  check: CheckDefinition,
  domain: Domain,
  destination: Connection,
  options: MigrationOptions = {},
): Promise<FrameworkRun> {
  const report = await domain.checkPMC(destination, { ...options, noBuiltins: true, checks: [check] });
  const result = report.checks[0]!;
  return { status: result.status, message: result.message, details: result.details };
}

export async function runCheckDirect(
  check: CheckDefinition,
  domain: Domain,
  destination: Connection,
  options: MigrationOptions = {},
  facts = new Facts(domain, domain.connection, destination),
): Promise<CheckRun> {
  const ctx = {
    domain,
    source: domain.connection,
    destination,
    options,
    facts,
    signal: new AbortController().signal,
  };
  let outcome: NormalizedOutcome;
  try {
    outcome = fromValue(await check.run(ctx));
  } catch (e) {
    outcome = fromThrown(e, 'rejected');
  }
  return { ...outcome, facts };
}

let serial = 0;

/** Starts a transient test-driver guest from the given inner XML (devices, cpu, …). */
export async function startGuest(
  conn: Connection,
  inner: string,
  opts: { name?: string; memoryMiB?: number; vcpus?: number; arch?: string; devices?: string } = {},
): Promise<Domain> {
  serial += 1;
  const name = opts.name ?? `probe-${process.pid}-${serial}`;
  const xml = `<domain type='test'>
  <name>${name}</name>
  <memory unit='MiB'>${opts.memoryMiB ?? 256}</memory>
  <vcpu>${opts.vcpus ?? 1}</vcpu>
  <os><type arch='${opts.arch ?? 'x86_64'}'>hvm</type></os>
  ${inner}
  <devices>${opts.devices ?? ''}</devices>
</domain>`;
  return conn.createDomain(xml);
}

/** `runCheck` on a transient guest with `devices`, started on `source` for it and destroyed after. */
export async function runCheckOnDevices(
  check: CheckDefinition,
  source: Connection,
  destination: Connection,
  devices: string,
  options: MigrationOptions = {},
): Promise<FrameworkRun> {
  const guest = await startGuest(source, '', { devices });
  try {
    return await runCheck(check, guest, destination, options);
  } finally {
    await guest.destroy();
  }
}
