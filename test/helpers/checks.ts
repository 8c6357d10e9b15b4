/**
 * Runs one built-in check on real connections with a real Facts object, the
 * way the framework's runner calls it (context, facts, outcome normalization).
 * Used until the C runner lands in main; then tests can go through checkPMC.
 */
import type { Connection } from '../../src/connection.js';
import type { Domain } from '../../src/domain.js';
import { Facts } from '../../src/pmc/facts.js';
import { fromThrown, fromValue, type NormalizedOutcome } from '../../src/pmc/outcome.js';
import type { CheckDefinition, MigrationOptions } from '../../src/pmc/types.js';

export interface CheckRun extends NormalizedOutcome {
  facts: Facts;
}

export async function runCheck(
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
