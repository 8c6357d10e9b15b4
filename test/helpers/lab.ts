/** Helpers for the e2e tests on the QEMU lab (test/e2e/global-setup.ts starts it). */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { Connection, isLibvirtError, type Domain } from '../../src/index.js';
import type { LabHostInfo, LabInfo } from '../../src/lab/index.js';

export function host(lab: LabInfo, name: string): LabHostInfo {
  const found = lab.hosts.find((h) => h.name === name);
  if (!found) throw new Error(`the lab has no host ${name}`);
  return found;
}

/** One connection per host, in host order. */
export async function openHosts(lab: LabInfo): Promise<Connection[]> {
  return Promise.all(lab.hosts.map((h) => Connection.open(h.uri)));
}

async function lookup(conn: Connection, name: string): Promise<Domain | null> {
  try {
    return await conn.lookupDomainByName(name);
  } catch (error) {
    if (isLibvirtError(error, 'VIR_ERR_NO_DOMAIN')) return null;
    throw error;
  }
}

/** The hosts (by name) on which a domain called `name` is active, asked of each daemon afresh. */
export async function whereRuns(lab: LabInfo, name: string): Promise<string[]> {
  const running: string[] = [];
  for (const h of lab.hosts) {
    const conn = await Connection.open(h.uri);
    try {
      const dom = await lookup(conn, name);
      if (dom && (await dom.isActive())) running.push(h.name);
    } finally {
      await conn.close();
    }
  }
  return running;
}

/** The hosts (by name) on which `name` is persistently defined. */
export async function whereDefined(lab: LabInfo, name: string): Promise<string[]> {
  const defined: string[] = [];
  for (const h of lab.hosts) {
    const conn = await Connection.open(h.uri);
    try {
      const dom = await lookup(conn, name);
      if (dom && (await dom.isPersistent())) defined.push(h.name);
    } finally {
      await conn.close();
    }
  }
  return defined;
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

/** Waits until the domain's migration job has moved some data, and returns the stats seen then. */
export async function waitForMigrationData(dom: Domain, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { type, stats } = await dom.getJobStats();
    const processed = Number(stats.data_processed ?? 0);
    if (type !== 'none' && processed > 0) return processed;
    await sleep(10);
  }
  throw new Error(`no migration data moved for ${dom.name} within ${timeoutMs} ms`);
}
