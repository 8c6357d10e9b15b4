/**
 * The rehearsal (docs/rehearsal.md) against a destination with pmc's gate in
 * its qemu hook (docs/hook.md): the rehearsal's Prepare is libvirt's own, so
 * libvirt runs the gate there as for any incoming migration. A guest the gate
 * refuses fails `migration.rehearsal` in phase prepare with the gate's line,
 * and the gate journals the refusal; a guest it lets in passes. Either way
 * nothing is left on host-2 and the guest runs on host-1 alone.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Report } from '../../src/index.js';
import { installLabGates } from '../../src/cli/lab-gate.js';
import { LOCAL_POOL } from '../../src/lab/index.js';
import { uninstallGate } from '../../src/gate/install.js';
import { readJournal } from '../../src/gate/journal.js';
import { labGuestXml, removeEverywhere, uniqueName } from '../helpers/check-lab.js';
import { parseReport, runPmc } from '../helpers/cli.js';
import { NO_WATCHDOG_REFUSAL, WATCHDOG_DEVICE, writeNoWatchdogCheck } from '../helpers/gate-lab.js';
import { daemonPid, expectRunsOnlyOn, host, useLabHosts } from '../helpers/lab.js';
import { expectNothingLeftOnHost2, rehearsalCheckArgs } from '../helpers/rehearsal-lab.js';

const lab = inject('lab');
const h2 = host(lab, 'host-2');
/** A directory of the lab's private `local` path: each host sees its own (docs/lab.md). */
const LOG_DIR = path.join(lab.localPath, 'reh-gate-logs');
/** Site check files the gate (host-2's user) can read: root's, world-readable. */
const CHECKS_DIR = path.join(lab.dir, 'reh-gate-checks');

function privateLogDir(hostName: string): string {
  return path.join(lab.dir, 'private', hostName, 'reh-gate-logs');
}

/** Makes or removes `hostName`'s LOG_DIR, and refreshes its pool `local` so that pmc's checks see the change. */
function setPrivateLogDir(hostName: string, present: boolean): void {
  if (present) {
    mkdirSync(privateLogDir(hostName), { recursive: true });
    chownSync(privateLogDir(hostName), host(lab, hostName).uid, -1);
  } else {
    rmSync(privateLogDir(hostName), { recursive: true, force: true });
  }
  execFileSync('virsh', ['-q', '-c', host(lab, hostName).uri, 'pool-refresh', LOCAL_POOL]);
}

/** The lab guest with its serial console logged to LOG_DIR, and `devices` added. */
function loggedGuestXml(name: string, devices = ''): string {
  return labGuestXml(name).replace(
    "<serial type='null'/>",
    `<serial type='pty'><log file='${LOG_DIR}/${name}.log'/></serial>${devices}`,
  );
}

async function installGateOnHost2(checkFiles: string[] = []): Promise<void> {
  // The daemon's pid now: an earlier e2e file may have killed and restarted host-2's daemon.
  await installLabGates([{ ...h2, pid: await daemonPid(lab, 'host-2') }], { checkFiles });
}

describe('the rehearsal against a destination gated by pmc hook', () => {
  const hosts = useLabHosts(lab);

  beforeAll(async () => {
    setPrivateLogDir('host-1', true);
    mkdirSync(CHECKS_DIR, { recursive: true, mode: 0o755 });
    await installGateOnHost2();
  });

  afterAll(() => {
    uninstallGate(h2.hooksDir);
    for (const h of ['host-1', 'host-2']) rmSync(privateLogDir(h), { recursive: true, force: true });
    rmSync(CHECKS_DIR, { recursive: true, force: true });
  });

  /** `pmc check --rehearse` of a new guest made from `xml(name)` on host-1; its rehearsal, the gate's new journal entries. */
  async function rehearse(prefix: string, xml: (name: string) => string, options: string[] = []) {
    const name = uniqueName(prefix);
    try {
      await hosts.h1.createDomain(xml(name));
      const before = readJournal(h2.journalDir).length;
      const { code, stdout, stderr } = await runPmc(rehearsalCheckArgs(lab, name, ['--rehearse', ...options]));
      const report = parseReport<Report>(stdout);
      const rehearsal = report.checks.find((c) => c.name === 'migration.rehearsal');
      expect(rehearsal, stderr).toBeDefined();
      await expectNothingLeftOnHost2(lab, hosts.h2, name);
      await expectRunsOnlyOn(lab, name, 'host-1');
      return { name, code, report, rehearsal: rehearsal!, journal: readJournal(h2.journalDir).slice(before) };
    } finally {
      await removeEverywhere([hosts.h1, hosts.h2], name);
    }
  }

  it("fails in Prepare with the gate's line when the guest's serial log directory is missing on host-2", async () => {
    setPrivateLogDir('host-2', false);
    // host.paths sees the missing directory too (pool `local` lists it) and would block first, skipping the
    // rehearsal: here the rehearsal is on trial.
    const { name, code, report, rehearsal, journal } = await rehearse('reh-gate-no', loggedGuestXml, [
      '--skip-check',
      'host.paths',
    ]);
    expect(rehearsal).toMatchObject({ status: 'fail', severity: 'critical', details: { phase: 'prepare' } });
    expect(rehearsal.message).toContain(`pmc-gate on ${h2.hostname}: serial 0 log: directory ${LOG_DIR}`);
    expect(report.verdict).toBe('blocked');
    expect(code).not.toBe(0);
    expect(journal).toMatchObject([{ guest: name, verdict: 'refused', host: h2.hostname }]);
    expect(journal[0]!.failing[0]!.check).toBe('gate.host-path');
  });

  it('passes when host-2 has the directory, and the gate journals that it let the guest in', async () => {
    setPrivateLogDir('host-2', true);
    const { name, code, rehearsal, journal } = await rehearse('reh-gate-ok', loggedGuestXml);
    expect(rehearsal.status, rehearsal.message).toBe('pass');
    expect(rehearsal.details).not.toHaveProperty('cleanupError');
    expect(code).toBe(0);
    expect(journal).toMatchObject([{ guest: name, verdict: 'allowed', failing: [] }]);
  });

  it("sees a site check file only the gate has: pmc's checks allow the guest, the rehearsal does not", async () => {
    setPrivateLogDir('host-2', true);
    const site = path.join(CHECKS_DIR, 'no-watchdog.xml');
    writeNoWatchdogCheck(site);
    await installGateOnHost2([site]);
    try {
      const watchdog = (name: string) => loggedGuestXml(name, WATCHDOG_DEVICE);
      const plain = await rehearse('reh-gate-site', watchdog);
      expect(plain.rehearsal).toMatchObject({ status: 'fail', details: { phase: 'prepare' } });
      expect(plain.rehearsal.message).toContain(`pmc-gate on ${h2.hostname}: ${NO_WATCHDOG_REFUSAL}`);
      // Every other check passed or warned: the refusal is the rehearsal's alone.
      const others = plain.report.checks.filter((c) => c.name !== 'migration.rehearsal');
      expect(others.filter((c) => c.severity === 'critical' && c.status === 'fail')).toEqual([]);
      expect(plain.journal).toMatchObject([{ guest: plain.name, verdict: 'refused' }]);
    } finally {
      await installGateOnHost2();
    }
  });
});
