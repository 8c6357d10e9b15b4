/** Helpers for the e2e tests on the QEMU lab (test/e2e/global-setup.ts starts it). */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect } from 'vitest';
import { Connection, isLibvirtError, type Domain, type Report, type RunOptions } from '../../src/index.js';
import { labStatus, type LabHostInfo, type LabInfo } from '../../src/lab/index.js';
import { nullWhen } from '../../src/errors.js';

export function host(lab: LabInfo, name: string): LabHostInfo {
  const found = lab.hosts.find((h) => h.name === name);
  if (!found) throw new Error(`the lab has no host ${name}`);
  return found;
}

/** One connection per host, in host order. */
export async function openHosts(lab: LabInfo): Promise<Connection[]> {
  return Promise.all(lab.hosts.map((h) => Connection.open(h.uri)));
}

/** Live connections to host-1 and host-2, filled in by useLabHosts' beforeAll. */
export interface LabHosts {
  h1: Connection;
  h2: Connection;
}

/**
 * Opens both lab hosts before the tests of the calling block and closes them
 * after; read the connections inside tests and hooks, not at collection time.
 * Hooks the caller registers later run before the close (vitest runs after-hooks
 * as a stack), so they may still use the connections.
 */
export function useLabHosts(lab: LabInfo): LabHosts {
  const hosts = {} as LabHosts;
  beforeAll(async () => {
    [hosts.h1, hosts.h2] = (await openHosts(lab)) as [Connection, Connection];
  });
  afterAll(async () => {
    await Promise.all([hosts.h1?.close(), hosts.h2?.close()]);
  });
  return hosts;
}

/** The hosts (by name) on which a domain called `name` exists and `holds` says yes, asked of each daemon afresh. */
async function hostsWhere(lab: LabInfo, name: string, holds: (dom: Domain) => Promise<boolean>): Promise<string[]> {
  const found: string[] = [];
  for (const h of lab.hosts) {
    const conn = await Connection.open(h.uri);
    try {
      const dom = await conn.lookupDomainByName(name).catch(nullWhen('VIR_ERR_NO_DOMAIN'));
      if (dom && (await holds(dom))) found.push(h.name);
    } finally {
      await conn.close();
    }
  }
  return found;
}

/** The hosts (by name) on which a domain called `name` is active, asked of each daemon afresh. */
export function whereRuns(lab: LabInfo, name: string): Promise<string[]> {
  return hostsWhere(lab, name, (dom) => dom.isActive());
}

/** The hosts (by name) on which `name` is persistently defined. */
export function whereDefined(lab: LabInfo, name: string): Promise<string[]> {
  return hostsWhere(lab, name, (dom) => dom.isPersistent());
}

/**
 * The pid of a lab host's daemon now: a test that restarted a daemon (labUp
 * after a kill) changed it, and the lab info each test file was given is a
 * copy made before.
 */
export async function daemonPid(lab: LabInfo, hostName: string): Promise<number> {
  const status = await labStatus({ id: lab.id });
  const found = status?.hosts.find((h) => h.name === hostName);
  if (!found?.daemonRunning) throw new Error(`lab ${lab.id}: ${hostName}'s daemon is not running`);
  return found.pid;
}

/** Every test ends here: the guest runs on exactly one host, the expected one, and is not paused. */
export async function expectRunsOnlyOn(lab: LabInfo, name: string, hostName: string): Promise<void> {
  expect(await whereRuns(lab, name)).toEqual([hostName]);
  const conn = await Connection.open(host(lab, hostName).uri);
  try {
    expect((await (await conn.lookupDomainByName(name)).getState()).state).toBe('running');
  } finally {
    await conn.close();
  }
}

/** migratePMC of `name` from host-1 to host-2, live, to host-2's migration address, with no built-in checks. */
export async function migratePMCToHost2(
  lab: LabInfo,
  hosts: LabHosts,
  name: string,
  options: RunOptions,
): Promise<Report & { migratedDomain?: Domain }> {
  const dom = await hosts.h1.lookupDomainByName(name);
  return dom.migratePMC(hosts.h2, {
    live: true,
    migrateUri: host(lab, 'host-2').migrationUri,
    noBuiltins: true,
    ...options,
  });
}

/** A checked migration the checks blocked: not attempted, and the report and the hosts agree the guest stays on host-1. */
export async function expectBlockedOnHost1(lab: LabInfo, report: Report, name: string): Promise<void> {
  expect(report.verdict).toBe('blocked');
  expect(report.migration.attempted).toBe(false);
  expect(report.domainLocation).toBe('source');
  await expectRunsOnlyOn(lab, name, 'host-1');
}

/** Live-migrates (without checks) a guest a test moved to host-2 back to `h1`, and sees it run there only. */
export async function bringBackToHost1(lab: LabInfo, dom: Domain, h1: Connection): Promise<void> {
  await dom.migrate3(h1, { uri: host(lab, 'host-1').migrationUri }, 1 /* VIR_MIGRATE_LIVE */);
  await expectRunsOnlyOn(lab, dom.name, 'host-1');
}

/**
 * Waits until the domain's migration job has moved some data, and returns the
 * stats seen then; 0 when the job ended first (the source guest is gone or no
 * longer running: a fast migration finished, which the caller then sees).
 */
export async function waitForMigrationData(dom: Domain, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let job: Awaited<ReturnType<Domain['getJobStats']>>;
    try {
      job = await dom.getJobStats();
    } catch (e) {
      if (isLibvirtError(e, 'VIR_ERR_NO_DOMAIN', 'VIR_ERR_OPERATION_INVALID')) return 0;
      throw e;
    }
    const processed = Number(job.stats.data_processed ?? 0);
    if (job.type !== 'none' && processed > 0) return processed;
    await sleep(10);
  }
  throw new Error(`no migration data moved for ${dom.name} within ${timeoutMs} ms`);
}

/**
 * Runs `attempt` (start a migration of `name` from host-1 to host-2, abort it
 * while data moves, return what the caller will judge) until the abort lands
 * before the migration completes. The lab guests have well under 1 MiB of
 * non-zero memory: even at 1 MiB/s the transfer lasts a few hundred ms, and on
 * a loaded machine the abort can arrive after QEMU finished, when libvirt
 * rightly completes the migration. Such an attempt proves nothing either way:
 * the guest is brought back to host-1 and the attempt repeated, at most
 * `maxAttempts` times; the last result is returned as it is, for the caller's
 * assertions to fail on.
 */
export async function abortingMidMigration<T>(
  lab: LabInfo,
  name: string,
  attempt: () => Promise<T>,
  maxAttempts = 5,
): Promise<T> {
  for (let i = 1; ; i++) {
    const result = await attempt();
    const where = await whereRuns(lab, name);
    if (i === maxAttempts || where.length !== 1 || where[0] !== 'host-2') return result;
    console.warn(
      `[e2e] attempt ${i}: ${name} finished migrating before the abort landed; bringing it back, trying again`,
    );
    const [c1, c2] = await Promise.all([
      Connection.open(host(lab, 'host-1').uri),
      Connection.open(host(lab, 'host-2').uri),
    ]);
    try {
      await (
        await c2.lookupDomainByName(name)
      ).migrate3(c1, { uri: host(lab, 'host-1').migrationUri }, 1 /* VIR_MIGRATE_LIVE */);
    } finally {
      await Promise.all([c1.close(), c2.close()]);
    }
  }
}
