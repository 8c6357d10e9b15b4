/**
 * `pmc evacuate` on the three-host lab: host-1's guests (lab-vm, lab-vm-disk and
 * two more) drained to host-2 and host-3, the return trip, a saved plan, and
 * Ctrl-C and SIGKILL mid-evacuation. The interrupted runs move a guest with an
 * 8 MiB raw disk of random data with --copy-storage-all --bandwidth 1: libvirt
 * caps the disk mirror at 1 MiB/s too, so its migration lasts about 8 s
 * (measured: 10.9 s) and the signal lands while its data moves.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Connection, isLibvirtError, type EvacuationGuest, type EvacuationReport } from '../../src/index.js';
import { guestXml, LAB_VM, LAB_VM_DISK, LOCAL_POOL } from '../../src/lab/index.js';
import { runPmc, startPmc, type PmcResult } from '../helpers/cli.js';
import { expectRunsOnlyOn, host } from '../helpers/lab.js';

const lab = inject('lab');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const validate = new Ajv({ allErrors: true, strict: true }).compile(
  JSON.parse(readFileSync(path.join(root, 'docs', 'evacuate.schema.json'), 'utf8')) as object,
);

function reportOf<T = EvacuationReport>(result: PmcResult): T {
  let value: unknown;
  try {
    value = JSON.parse(result.stdout);
  } catch {
    throw new Error(`no JSON on stdout (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  if (!validate(value)) throw new Error(`not of docs/evacuate.schema.json: ${JSON.stringify(validate.errors)}`);
  return value as T;
}

const EXTRA = ['evac-1', 'evac-2'];
const SLOW = 'evac-slow';
const SLOW_VOLUME = 'evac-slow.img';
const SLOW_MIB = 8;
const uri = (name: string) => host(lab, name).uri;
/** The lab's URIs name local sockets, beyond the rule for URIs read from files: typed with --plan and --return, they are vouched for. */
const candidates = ['host-2', 'host-3'].map(uri);
const hostNameOf = (u: string | null) => lab.hosts.find((h) => h.uri === u)?.name;

async function withHosts<T>(fn: (conns: Connection[]) => Promise<T>): Promise<T> {
  const conns = await Promise.all(lab.hosts.map((h) => Connection.open(h.uri)));
  try {
    return await fn(conns);
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}

/** The slow guest: 96 MiB (so the plan takes it first) and a raw disk of random data in host-1's `local` pool. */
async function defineSlowGuest(h1: Connection): Promise<void> {
  await h1.createStorageVolume(
    LOCAL_POOL,
    `<volume><name>${SLOW_VOLUME}</name><capacity unit='MiB'>${SLOW_MIB}</capacity>` +
      `<target><format type='raw'/><permissions><mode>0600</mode></permissions></target></volume>`,
  );
  // Host-1's private `local` directory, as root sees it outside the host's mount namespace.
  const fd = openSync(path.join(lab.dir, 'private', 'host-1', SLOW_VOLUME), 'r+');
  try {
    writeSync(fd, randomBytes(SLOW_MIB << 20));
  } finally {
    closeSync(fd);
  }
  const xml = guestXml(SLOW, path.join(lab.localPath, SLOW_VOLUME))
    .replace("type='qcow2'", "type='raw'")
    .replace("<memory unit='MiB'>64</memory>", "<memory unit='MiB'>96</memory>");
  await (await h1.defineDomain(xml)).create();
}

/** Removes a test guest (and the slow guest's volumes) from every host. */
async function removeGuest(conns: Connection[], name: string): Promise<void> {
  for (const conn of conns) {
    try {
      const dom = await conn.lookupDomainByName(name);
      if (await dom.isActive()) await dom.destroy();
      if (await dom.isPersistent().catch(() => false)) await dom.undefine();
    } catch (error) {
      if (!isLibvirtError(error, 'VIR_ERR_NO_DOMAIN')) throw error;
    }
    if (name === SLOW) {
      await conn.deleteStorageVolume(path.join(lab.localPath, SLOW_VOLUME)).catch(() => undefined);
    }
  }
}

/** Peak number of migrations running at once, from the --verbose lines ("migrating to", then the reason line). */
function peakParallel(stderr: string, guests: string[]): number {
  let running = 0;
  let peak = 0;
  for (const line of stderr.split('\n')) {
    const name = guests.find((g) => line.startsWith(`${g}: `));
    if (!name) continue;
    if (/^[^:]+: migrating to /.test(line)) peak = Math.max(peak, ++running);
    else if (!/Migration: \[/.test(line)) running--;
  }
  return peak;
}

/** The state of `name` on each host where it is active; a domain that vanishes while asked (a migration's cleanup) is absent. */
async function statesOf(name: string): Promise<Record<string, string>> {
  const states: Record<string, string> = {};
  await withHosts(async (conns) => {
    for (const [i, conn] of conns.entries()) {
      try {
        const dom = await conn.lookupDomainByName(name);
        if (await dom.isActive()) states[lab.hosts[i]!.name] = (await dom.getState()).state;
      } catch (error) {
        if (!isLibvirtError(error, 'VIR_ERR_NO_DOMAIN')) throw error;
      }
    }
  });
  return states;
}

/**
 * Waits until each guest is active on exactly one host and running there (not
 * paused): after its client is killed, libvirt lets a migration's data phase
 * end, then kills the incoming guest and resumes the source. Returns the host
 * of each guest (or, past the deadline, what was seen, for the assertions to fail on).
 */
async function settledWhere(names: string[], timeoutMs = 60_000): Promise<Record<string, Record<string, string>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const where: Record<string, Record<string, string>> = {};
    for (const name of names) where[name] = await statesOf(name);
    const settled = Object.values(where).every((s) => Object.values(s).join() === 'running');
    if (settled || Date.now() > deadline) return where;
    await sleep(200);
  }
}

describe('pmc evacuate on the three-host lab', () => {
  let dir: string;
  const saved = (name: string) => path.join(dir, name);

  beforeAll(async () => {
    expect(lab.hosts.length).toBeGreaterThanOrEqual(3);
    dir = mkdtempSync(path.join(tmpdir(), 'pmc-evacuate-e2e-'));
    await withHosts(async ([h1, ...others]) => {
      for (const name of [...EXTRA, SLOW]) await removeGuest([h1!, ...others], name);
      for (const name of EXTRA) await (await h1!.defineDomain(guestXml(name))).create();
    });
  });

  afterAll(async () => {
    await withHosts(async (conns) => {
      for (const name of [...EXTRA, SLOW]) await removeGuest(conns, name);
      // lab-vm home to host-1, whatever a failed test left.
      for (const conn of conns.slice(1)) {
        const dom = await conn.lookupDomainByName(LAB_VM).catch(() => null);
        if (dom && (await dom.isActive())) await dom.migrate3(conns[0]!, {}, 1 /* VIR_MIGRATE_LIVE */);
      }
    });
    rmSync(dir, { recursive: true, force: true });
  });

  it('drains host-1 to host-2 and host-3, two at a time: the movable guests on exactly one destination each, as reported; the local-disk guest stays (storage.shared); exit 2; --return brings them home', async () => {
    const started = performance.now();
    const result = await runPmc([
      '-c',
      uri('host-1'),
      'evacuate',
      '--live',
      '--max-parallel',
      '2',
      '--verbose',
      '--json',
      uri('host-2'),
      uri('host-3'),
    ]);
    const ms = performance.now() - started;
    const report = reportOf(result);
    writeFileSync(saved('report.json'), result.stdout);
    expect(result.code).toBe(2);
    expect(report.cancelled).toBeUndefined();
    const byName = new Map(report.guests.map((g) => [g.domain, g]));
    expect([...byName.keys()].sort()).toEqual([LAB_VM, LAB_VM_DISK, ...EXTRA].sort());
    for (const name of [LAB_VM, ...EXTRA]) {
      const g = byName.get(name)!;
      expect(g.migration, name).toMatchObject({ attempted: true, succeeded: true, error: null });
      expect(g.domainLocation).toBe('destination');
      const target = hostNameOf(g.destination);
      expect(['host-2', 'host-3']).toContain(target);
      await expectRunsOnlyOn(lab, name, target!);
    }
    const disk = byName.get(LAB_VM_DISK)!;
    expect(disk.destination).toBeNull();
    expect(disk.migration.attempted).toBe(false);
    expect(disk.reason).toContain('storage.shared');
    expect(disk.domainLocation).toBe('source');
    await expectRunsOnlyOn(lab, LAB_VM_DISK, 'host-1');
    const peak = peakParallel(result.stderr, [LAB_VM, ...EXTRA]);
    // Both workers start at once, and each migration lasts about a second: the limit is reached, never passed.
    expect(peak).toBe(2);
    console.log(`[e2e] evacuation of 4 guests: ${Math.round(ms)} ms, at most ${peak} migrations at once`);

    // The return trip, in the same test: the setup file brings lab-vm home before each test.
    const back = await runPmc([
      '-c',
      uri('host-1'),
      'evacuate',
      '--return',
      saved('report.json'),
      '--json',
      ...candidates,
    ]);
    const reports = reportOf<EvacuationReport[]>(back);
    expect(back.code).toBe(0);
    const guests = reports.flatMap((r) => r.guests);
    expect(guests.map((g) => g.domain).sort()).toEqual([LAB_VM, ...EXTRA].sort());
    for (const r of reports) expect(['host-2', 'host-3']).toContain(hostNameOf(r.source));
    for (const g of guests) {
      expect(g.migration.succeeded).toBe(true);
      expect(g.domainLocation).toBe('destination');
      await expectRunsOnlyOn(lab, g.domain, 'host-1');
    }
  });

  it('a saved plan (--plan-only --json) executes later with --plan, re-checked; then home again', async () => {
    const planned = await runPmc([
      '-c',
      uri('host-1'),
      'evacuate',
      '--live',
      '--plan-only',
      '--json',
      '--domain',
      EXTRA[0]!,
      '--domain',
      EXTRA[1]!,
      uri('host-2'),
      uri('host-3'),
    ]);
    expect(planned.code).toBe(0);
    const plan = reportOf(planned);
    expect(plan.guests.every((g) => g.destination !== null && !g.migration.attempted)).toBe(true);
    for (const name of EXTRA) await expectRunsOnlyOn(lab, name, 'host-1'); // planning moved nothing
    writeFileSync(saved('plan.json'), planned.stdout);

    const run = await runPmc(['-c', uri('host-1'), 'evacuate', '--plan', saved('plan.json'), '--json', ...candidates]);
    expect(run.code).toBe(0);
    const report = reportOf(run);
    writeFileSync(saved('plan-report.json'), run.stdout);
    for (const g of report.guests) {
      const plannedTo = plan.guests.find((p) => p.uuid === g.uuid)!.destination;
      expect(g.destination).toBe(plannedTo);
      expect(g.reason).not.toMatch(/re-check blocked/);
      await expectRunsOnlyOn(lab, g.domain, hostNameOf(plannedTo)!);
    }
    expect(
      (await runPmc(['-c', uri('host-1'), 'evacuate', '--return', saved('plan-report.json'), ...candidates])).code,
    ).toBe(0);
    for (const name of EXTRA) await expectRunsOnlyOn(lab, name, 'host-1');
  });

  describe('interrupted mid-evacuation', () => {
    beforeAll(async () => {
      await withHosts(async ([h1]) => defineSlowGuest(h1!));
    }, 120_000);

    const slowRun = () =>
      startPmc([
        '-c',
        uri('host-1'),
        'evacuate',
        '--live',
        '--copy-storage-all',
        '--bandwidth',
        '1',
        '--max-parallel',
        '1',
        '--verbose',
        '--json',
        '--domain',
        SLOW,
        '--domain',
        EXTRA[0]!,
        uri('host-2'),
        uri('host-3'),
      ]);

    it('Ctrl-C: the running migration is aborted, nothing new starts, every guest runs on exactly one host, as reported; exit 130', async () => {
      const run = slowRun();
      await run.waitForOutput(new RegExp(`${SLOW}: Migration: \\[`), 120_000);
      run.child.kill('SIGINT');
      const result = await run.done;
      expect(result.code).toBe(130);
      const report = reportOf(result);
      expect(report.cancelled).toBe(true);
      const slow = report.guests.find((g) => g.domain === SLOW)!;
      const other = report.guests.find((g) => g.domain === EXTRA[0])!;
      expect(slow.migration).toMatchObject({ attempted: true, succeeded: false });
      expect(slow.domainLocation).toBe('source');
      expect(other.migration.attempted).toBe(false);
      expect(other.reason).toBe('not started: the evacuation was interrupted');
      expect(other.domainLocation).toBe('source');
      for (const g of [slow, other] as EvacuationGuest[]) await expectRunsOnlyOn(lab, g.domain, 'host-1');
      expect(result.stderr).not.toContain(`${EXTRA[0]}: migrating to`);
    });

    it('SIGKILL of pmc: libvirt cancels the migration it drove; every guest runs on exactly one host, not paused', async () => {
      const run = slowRun();
      await run.waitForOutput(new RegExp(`${SLOW}: Migration: \\[`), 120_000);
      run.child.kill('SIGKILL');
      expect((await run.done).signal).toBe('SIGKILL');
      const where = await settledWhere([SLOW, EXTRA[0]!, LAB_VM, LAB_VM_DISK]);
      for (const [name, states] of Object.entries(where)) {
        expect(Object.values(states), name).toEqual(['running']);
        await expectRunsOnlyOn(lab, name, Object.keys(states)[0]!);
      }
      expect(Object.keys(where[SLOW]!)).toEqual(['host-1']);
    });
  });
});
