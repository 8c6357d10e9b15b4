/**
 * The destination gate in libvirt's own hook (docs/hook.md), against real
 * migrations started by plain `virsh migrate` (no pmc on the client side): the
 * gate is installed on host-2 only (its own /etc/libvirt/hooks), libvirt runs
 * it in Prepare, and its refusal is what virsh prints. After every path each
 * guest runs on exactly one host.
 */
import { execFile } from 'node:child_process';
import { chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { Connection } from '../../src/index.js';
import { installLabGates } from '../../src/cli/lab-gate.js';
import { uninstallGate } from '../../src/gate/install.js';
import { readJournal, type JournalEntry } from '../../src/gate/journal.js';
import type { GatePolicy } from '../../src/gate/policy.js';
import { guestXml } from '../../src/lab/index.js';
import { writeNoWatchdogCheck } from '../helpers/gate-lab.js';
import { daemonPid, expectRunsOnlyOn, host, whereRuns } from '../helpers/lab.js';

const run = promisify(execFile);
const lab = inject('lab');
const h1 = host(lab, 'host-1');
const h2 = host(lab, 'host-2');
/** A directory of the lab's private `local` path: each host sees its own (docs/lab.md). */
const LOG_DIR = path.join(lab.localPath, 'gate-logs');
/** Check files the hook (host-2's user) can read: root's, world-readable. */
const CHECKS_DIR = path.join(lab.dir, 'gate-checks');

function privateDirOf(hostName: string): string {
  return path.join(lab.dir, 'private', hostName, 'gate-logs');
}

/** A transient guest's definition: the lab's guest, with a serial log in LOG_DIR and `devices` added. */
function gateGuestXml(name: string, devices = ''): string {
  return guestXml(name).replace(
    "<serial type='null'/>",
    `<serial type='pty'><log file='${LOG_DIR}/${name}.log'/></serial>${devices}`,
  );
}

/** `virsh migrate --live NAME <host-2>` from host-1, as an operator types it; virsh's exit and stderr. */
async function virshMigrate(name: string): Promise<{ ok: boolean; stderr: string }> {
  try {
    await run('virsh', ['-c', h1.uri, 'migrate', '--live', name, h2.uri], { timeout: 120_000 });
    return { ok: true, stderr: '' };
  } catch (error) {
    return { ok: false, stderr: String((error as { stderr?: string }).stderr ?? error) };
  }
}

function journal(): JournalEntry[] {
  return readJournal(h2.journalDir);
}

async function install(policy: Partial<GatePolicy> = {}): Promise<void> {
  // The daemon's pid now: an earlier e2e file may have killed and restarted host-2's daemon.
  await installLabGates([{ ...h2, pid: await daemonPid(lab, 'host-2') }], policy);
}

describe('the gate in libvirt’s hook, with plain virsh migrate', () => {
  const started: string[] = [];
  let c1: Connection;

  async function startOnHost1(name: string, devices = ''): Promise<void> {
    await c1.createDomain(gateGuestXml(name, devices));
    started.push(name);
  }

  beforeAll(async () => {
    c1 = await Connection.open(h1.uri);
    mkdirSync(privateDirOf('host-1'), { recursive: true });
    chownSync(privateDirOf('host-1'), h1.uid, -1);
    mkdirSync(CHECKS_DIR, { recursive: true, mode: 0o755 });
    await install();
  });

  afterEach(async () => {
    // Transient guests: destroyed wherever they run, so each test starts clean.
    for (const name of started.splice(0)) {
      for (const h of lab.hosts) {
        const conn = await Connection.open(h.uri);
        try {
          const dom = await conn.lookupDomainByName(name).catch(() => null);
          if (dom) await dom.destroy().catch(() => undefined);
        } finally {
          await conn.close();
        }
      }
    }
  });

  afterAll(async () => {
    uninstallGate(h2.hooksDir);
    rmSync(privateDirOf('host-2'), { recursive: true, force: true });
    await c1.close();
  });

  it("refuses a guest whose serial log directory is missing on the destination, with pmc's line in virsh's error", async () => {
    rmSync(privateDirOf('host-2'), { recursive: true, force: true });
    await startOnHost1('gate-log');
    const before = journal().length;
    const result = await virshMigrate('gate-log');
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain(`pmc-gate on ${h2.hostname}: serial 0 log: directory ${LOG_DIR}`);
    await expectRunsOnlyOn(lab, 'gate-log', 'host-1');
    const entries = journal().slice(before);
    expect(entries).toMatchObject([{ guest: 'gate-log', verdict: 'refused', host: h2.hostname }]);
    expect(entries[0]!.failing[0]!.check).toBe('gate.host-path');
  });

  it('lets it in once the directory exists there', async () => {
    mkdirSync(privateDirOf('host-2'), { recursive: true });
    chownSync(privateDirOf('host-2'), h2.uid, -1);
    await startOnHost1('gate-log-ok');
    const before = journal().length;
    expect(await virshMigrate('gate-log-ok')).toEqual({ ok: true, stderr: '' });
    await expectRunsOnlyOn(lab, 'gate-log-ok', 'host-2');
    expect(journal().slice(before)).toMatchObject([{ guest: 'gate-log-ok', verdict: 'allowed', failing: [] }]);
  });

  it('a site check file refuses guests with the device it names and lets the others in', async () => {
    mkdirSync(privateDirOf('host-2'), { recursive: true });
    chownSync(privateDirOf('host-2'), h2.uid, -1);
    const site = path.join(CHECKS_DIR, 'no-watchdog.xml');
    writeNoWatchdogCheck(site);
    await install({ checkFiles: [site] });
    await startOnHost1('gate-watchdog', "<watchdog model='i6300esb' action='none'/>");
    await startOnHost1('gate-plain');
    const refused = await virshMigrate('gate-watchdog');
    expect(refused.ok).toBe(false);
    expect(refused.stderr).toContain('site.no-watchdog: guests with a watchdog device stay off this host');
    expect(await virshMigrate('gate-plain')).toEqual({ ok: true, stderr: '' });
    await expectRunsOnlyOn(lab, 'gate-watchdog', 'host-1');
    await expectRunsOnlyOn(lab, 'gate-plain', 'host-2');
  });

  it('a broken check file lets migrations through with --on-error allow (journaled), and blocks them with refuse', async () => {
    mkdirSync(privateDirOf('host-2'), { recursive: true });
    chownSync(privateDirOf('host-2'), h2.uid, -1);
    const site = path.join(CHECKS_DIR, 'breaks.xml');
    writeFileSync(
      site,
      `<?xml version="1.0"?><checks><check name="site.ok" severity="critical"><assert test="true()"/></check></checks>`,
      {
        mode: 0o644,
      },
    );
    await install({ checkFiles: [site], onError: 'allow' });
    writeFileSync(site, '<checks><check name="site.ok"'); // the operator breaks it after the install
    await startOnHost1('gate-broken-allow');
    const before = journal().length;
    expect(await virshMigrate('gate-broken-allow')).toEqual({ ok: true, stderr: '' });
    const [entry] = journal().slice(before);
    expect(entry).toMatchObject({ guest: 'gate-broken-allow', verdict: 'allowed' });
    expect(entry!.gateError).toContain(site);
    await expectRunsOnlyOn(lab, 'gate-broken-allow', 'host-2');

    writeFileSync(
      site,
      `<?xml version="1.0"?><checks><check name="site.ok" severity="critical"><assert test="true()"/></check></checks>`,
    );
    await install({ checkFiles: [site], onError: 'refuse' });
    writeFileSync(site, '<checks><check name="site.ok"');
    await startOnHost1('gate-broken-refuse');
    const refused = await virshMigrate('gate-broken-refuse');
    expect(refused.ok).toBe(false);
    expect(refused.stderr).toContain('refuses on error');
    await expectRunsOnlyOn(lab, 'gate-broken-refuse', 'host-1');
    await install(); // back to the default policy for the tests after
  });

  it('four incoming migrations at once each get their own decision in the journal', async () => {
    mkdirSync(privateDirOf('host-2'), { recursive: true });
    chownSync(privateDirOf('host-2'), h2.uid, -1);
    const names = ['gate-par-1', 'gate-par-2', 'gate-par-3', 'gate-par-4'];
    for (const n of names) await startOnHost1(n);
    const before = journal().length;
    const results = await Promise.all(names.map((n) => virshMigrate(n)));
    expect(results.every((r) => r.ok)).toBe(true);
    const entries = journal().slice(before);
    expect(entries.map((e) => e.guest).sort()).toEqual(names);
    expect(new Set(entries.map((e) => e.pid)).size).toBe(4);
    for (const n of names) expect(await whereRuns(lab, n)).toEqual(['host-2']);
  });
});
