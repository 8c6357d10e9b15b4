/**
 * The rehearsal (docs/rehearsal.md) against the lab: libvirt's own Begin and
 * Prepare, then Finish and Confirm cancelled. A guest whose fw_cfg blob
 * (`<sysinfo type='fwcfg'>`) exists only on the source is blocked by
 * `migration.rehearsal` with QEMU's own words, and allowed when both hosts
 * have the file. Afterwards the destination has no domain, no QEMU and no
 * volume left, and the guest runs on its source alone.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { Connection, type Domain, type Report } from '../../src/index.js';
import { labUp } from '../../src/lab/index.js';
import { labLayout } from '../../src/lab/layout.js';
import { labGuestXml, removeEverywhere, uniqueName, withLabGuest } from '../helpers/check-lab.js';
import { parseReport, runPmc, startPmc } from '../helpers/cli.js';
import { daemonPid, expectRunsOnlyOn, host, useLabHosts, whereRuns } from '../helpers/lab.js';
import {
  expectNothingLeftOnHost2,
  expectRehearsalLeftNothing,
  pollUntil,
  rehearsalCheckArgs,
} from '../helpers/rehearsal-lab.js';

const lab = inject('lab');
const host1 = host(lab, 'host-1');
const host2 = host(lab, 'host-2');

/** Writes `<local>/<subdir>/<file>` into host `hostName`'s private view of the lab's `local` path. */
function writePrivateFile(hostName: string, subdir: string, file: string, text: string): string {
  const h = labLayout({ id: lab.id }).hosts.find((x) => x.name === hostName)!;
  const info = lab.hosts.find((x) => x.name === hostName)!;
  const dir = path.join(h.privateLocalDir, subdir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, file), text);
  chownSync(dir, info.uid, -1);
  chownSync(path.join(dir, file), info.uid, -1);
  return path.join(lab.localPath, subdir, file);
}

function removePrivateDir(hostName: string, subdir: string): void {
  const h = labLayout({ id: lab.id }).hosts.find((x) => x.name === hostName)!;
  rmSync(path.join(h.privateLocalDir, subdir), { recursive: true, force: true });
}

/** The lab guest with a fw_cfg blob read from `file` (QEMU opens it at start, on the destination at Prepare). */
function fwcfgGuestXml(name: string, file: string): string {
  return labGuestXml(name).replace(
    '</domain>',
    `<sysinfo type='fwcfg'><entry name='opt/org.libvirt-pmc/blob' file='${file}'/></sysinfo></domain>`,
  );
}

describe('the rehearsal on the lab', () => {
  const hosts = useLabHosts(lab);

  it('pmc check --rehearse blocks a guest whose fw_cfg file exists only on the source, and leaves nothing behind', async () => {
    const name = uniqueName('reh-fwcfg');
    const file = writePrivateFile('host-1', name, 'blob.bin', 'pmc');
    try {
      await hosts.h1.createDomain(fwcfgGuestXml(name, file));
      // host.paths sees this file too and would block first (the rehearsal then skips): here the rehearsal is on trial.
      const { stdout, stderr } = await runPmc(
        rehearsalCheckArgs(lab, name, ['--rehearse', '--skip-check', 'host.paths']),
      );
      const report = parseReport<Report>(stdout);
      const rehearsal = report.checks.find((c) => c.name === 'migration.rehearsal');
      expect(rehearsal, stderr).toMatchObject({ status: 'fail', severity: 'critical' });
      // libvirt's error verbatim: QEMU on the destination could not open the blob.
      expect(rehearsal!.message).toContain(file);
      expect(rehearsal!.details).toMatchObject({ phase: 'prepare' });
      expect(report.verdict).toBe('blocked');
      await expectNothingLeftOnHost2(lab, hosts.h2, name);
      await expectRunsOnlyOn(lab, name, 'host-1');
    } finally {
      await removeEverywhere([hosts.h1, hosts.h2], name);
      removePrivateDir('host-1', name);
    }
  });

  it('pmc check --rehearse allows it when both hosts have the file, with the phase timings', async () => {
    const name = uniqueName('reh-fwcfg2');
    const file = writePrivateFile('host-1', name, 'blob.bin', 'pmc');
    writePrivateFile('host-2', name, 'blob.bin', 'pmc');
    try {
      await hosts.h1.createDomain(fwcfgGuestXml(name, file));
      const { code, stdout, stderr } = await runPmc(
        rehearsalCheckArgs(lab, name, ['--rehearse', '--skip-check', 'host.paths']),
      );
      const report = parseReport<Report>(stdout);
      const rehearsal = report.checks.find((c) => c.name === 'migration.rehearsal');
      expect(rehearsal, stderr).toMatchObject({ status: 'pass' });
      expect(rehearsal!.message).toMatch(/Begin \d+ ms, Prepare \d+ ms, Finish \d+ ms, Confirm \d+ ms/);
      // Finish's answer was the cancel's own (VIR_ERR_MIGRATE_FINISH_OK): no cleanup step failed.
      expect(rehearsal!.details).not.toHaveProperty('cleanupError');
      expect(report.verdict).not.toBe('blocked');
      expect(code, stderr).toBe(0);
      await expectNothingLeftOnHost2(lab, hosts.h2, name);
      await expectRunsOnlyOn(lab, name, 'host-1');
    } finally {
      await removeEverywhere([hosts.h1, hosts.h2], name);
      removePrivateDir('host-1', name);
      removePrivateDir('host-2', name);
    }
  });

  it('a passing rehearsal settles a "not verifiable" warning (a serial file outside every pool)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pmc-reh-'));
    chmodSync(dir, 0o777);
    const file = path.join(dir, 'serial.out');
    writeFileSync(file, '');
    chmodSync(file, 0o666);
    const name = uniqueName('reh-settle');
    try {
      await hosts.h1.createDomain(
        labGuestXml(name).replace(
          "<serial type='null'/>",
          `<serial type='file'><source path='${file}'/><target port='0'/></serial>`,
        ),
      );
      const dom = await hosts.h1.lookupDomainByName(name);
      // Strict, so that the warning blocks; the convergence forecast's warning, which no rehearsal settles, skipped.
      const options = { live: true, migrateUri: host2.migrationUri, strict: true, skip: ['migration.convergence'] };
      const plain = await dom.checkPMC(hosts.h2, options);
      expect(plain.checks.find((c) => c.name === 'host.paths-verifiable')?.message).toMatch(/^not verifiable:/);
      expect(plain.verdict).toBe('blocked');
      const rehearsed = await dom.checkPMC(hosts.h2, { ...options, rehearse: true });
      const settled = rehearsed.checks.find((c) => c.name === 'host.paths-verifiable')!;
      expect(settled.status).toBe('pass');
      expect(settled.message).toMatch(/^settled by migration\.rehearsal .*the check alone said: not verifiable:/);
      const rehearsal = rehearsed.checks.find((c) => c.name === 'migration.rehearsal')!;
      expect(rehearsal.status, rehearsal.message).toBe('pass');
      expect(rehearsal.details).toMatchObject({ settled: ['host.paths-verifiable'] });
      expect(rehearsed.verdict).not.toBe('blocked');
    } finally {
      await removeEverywhere([hosts.h1, hosts.h2], name);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without --rehearse there is no rehearsal check', async () => {
    await withLabGuest([hosts.h1, hosts.h2], 'reh-none', {}, async (dom) => {
      const report = await dom.checkPMC(hosts.h2, { live: true, migrateUri: host2.migrationUri });
      expect(report.checks.find((c) => c.name === 'migration.rehearsal')).toBeUndefined();
    });
  });

  it('a copy-storage rehearsal deletes the volume Prepare created', async () => {
    await withLabGuest([hosts.h1, hosts.h2], 'reh-copy', { localDisk: true }, async (dom: Domain) => {
      const disk = /<source file='([^']+)'/.exec(await dom.getXMLDesc())![1]!;
      expect(await hosts.h2.lookupStorageVolByPath(disk).catch(() => null)).toBeNull();
      const report = await dom.checkPMC(hosts.h2, {
        live: true,
        copyStorageAll: true,
        migrateUri: host2.migrationUri,
        noBuiltins: true,
        rehearse: true,
      });
      const rehearsal = report.checks.find((c) => c.name === 'migration.rehearsal')!;
      expect(rehearsal.status, rehearsal.message).toBe('pass');
      expect(JSON.stringify(rehearsal.details)).toContain(`deleted the volume ${disk}`);
      expect(await hosts.h2.lookupStorageVolByPath(disk).catch(() => null)).toBeNull();
      await expectNothingLeftOnHost2(lab, hosts.h2, dom.name);
    });
  });

  it('a guest with locked memory is not rehearsed unless forced', async () => {
    const name = uniqueName('reh-locked');
    const xml = labGuestXml(name).replace('</domain>', '<memoryBacking><locked/></memoryBacking></domain>');
    try {
      const dom = await hosts.h1.defineDomain(xml);
      // Defined only: the reason is read from Begin's XML before anything starts on the destination.
      const report = await dom.checkPMC(hosts.h2, {
        offline: true,
        persistent: true,
        noBuiltins: true,
        rehearse: true,
      });
      const rehearsal = report.checks.find((c) => c.name === 'migration.rehearsal')!;
      expect(rehearsal).toMatchObject({ status: 'skipped' });
      expect(rehearsal.message).toMatch(/locked/);
      expect(await hosts.h2.lookupDomainByName(name).catch(() => null)).toBeNull();
      // Forced: past the refusal, to Begin; an offline Prepare is never rehearsed (it would leave a definition).
      const forced = await dom.checkPMC(hosts.h2, {
        offline: true,
        persistent: true,
        noBuiltins: true,
        rehearse: true,
        rehearseForce: true,
      });
      const f = forced.checks.find((c) => c.name === 'migration.rehearsal')!;
      expect(f.status, f.message).toBe('skipped');
      expect(f.message).toMatch(/^Begin accepted the offline migration; its Prepare is not rehearsed/);
      expect(await hosts.h2.lookupDomainByName(name).catch(() => null)).toBeNull();
    } finally {
      await removeEverywhere([hosts.h1, hosts.h2], name);
    }
  });

  it('pmc migrate --pmc --rehearse rehearses, then migrates', async () => {
    await withLabGuest([hosts.h1, hosts.h2], 'reh-mig', {}, async (dom, name) => {
      const { code, stdout, stderr } = await runPmc([
        '-c',
        host1.uri,
        'migrate',
        '--pmc',
        '--live',
        '--rehearse',
        '--json',
        name,
        host2.uri,
        host2.migrationUri,
      ]);
      const report = parseReport<Report>(stdout);
      expect(
        report.checks.find((c) => c.name === 'migration.rehearsal'),
        stderr,
      ).toMatchObject({ status: 'pass' });
      expect(report.migration.succeeded, stderr).toBe(true);
      expect(code).toBe(0);
      expect(await whereRuns(lab, name)).toEqual(['host-2']);
      void dom;
    });
  });
});

/**
 * Faults, one test per phase: pmc, or the daemon serving the phase, is
 * SIGKILLed there. The phase is seen from outside: the source's migration
 * job (Begin started it, Confirm ends it) and the incoming domain on the
 * destination (Prepare made it, Finish removes it). libvirt ties both halves
 * to pmc's connections (close callbacks), and a restarted daemon recovers
 * (ends) a rehearsal's job; afterwards the guest runs on its source alone and
 * the destination has no incoming domain and no QEMU of it.
 */
describe('the rehearsal survives a kill in each phase', () => {
  /** Starts `pmc check --rehearse` of a new guest and waits for `phase`, then does `fault`; checks the aftermath. */
  async function faultIn(
    phase: 'begin' | 'prepare',
    fault: (pmc: ReturnType<typeof startPmc>) => Promise<void>,
    killsDaemon: boolean,
  ): Promise<void> {
    const name = uniqueName(`reh-${phase}`);
    const [h1, h2] = [await Connection.open(host1.uri), await Connection.open(host2.uri)];
    try {
      const dom = await h1.createDomain(labGuestXml(name));
      const pmc = startPmc(rehearsalCheckArgs(lab, name, ['--rehearse']));
      if (phase === 'begin') {
        // Begin's job on the source; hold the destination daemon so that Prepare is not answered.
        await pollUntil('the source job of Begin', async () => (await dom.getJobInfo()).type !== 'none');
      } else {
        await pollUntil('the incoming domain of Prepare', async () => (await h2.lookupDomainByName(name)) !== null);
      }
      await fault(pmc);
      await pmc.done;
      if (killsDaemon) {
        const restarted = await labUp({ id: lab.id });
        lab.hosts = restarted.hosts;
      }
    } finally {
      await h1.close().catch(() => undefined);
      await h2.close().catch(() => undefined);
    }
    await expectRehearsalLeftNothing(lab, name);
  }

  const stopped = async (hostName: string, body: () => Promise<void>) => {
    const pid = await daemonPid(lab, hostName);
    process.kill(pid, 'SIGSTOP');
    try {
      await body();
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  };

  it('Ctrl-C in Prepare: the rehearsal still ends with Finish and Confirm, then pmc exits 130', async () => {
    const name = uniqueName('reh-int');
    const [h1, h2] = [await Connection.open(host1.uri), await Connection.open(host2.uri)];
    try {
      await h1.createDomain(labGuestXml(name));
      const pmc = startPmc(rehearsalCheckArgs(lab, name, ['--rehearse']));
      await pollUntil('the incoming domain of Prepare', async () => (await h2.lookupDomainByName(name)) !== null);
      pmc.child.kill('SIGINT');
      const { code, stdout, stderr } = await pmc.done;
      expect(code, stderr).toBe(130);
      const rehearsal = parseReport<Report>(stdout).checks.find((c) => c.name === 'migration.rehearsal')!;
      const phases = (rehearsal.details as { phasesMs: Record<string, number> }).phasesMs;
      expect(phases.finish, JSON.stringify(rehearsal)).toBeGreaterThan(0);
      expect(phases.confirm).toBeGreaterThan(0);
      await expectNothingLeftOnHost2(lab, h2, name);
      await expectRunsOnlyOn(lab, name, 'host-1');
    } finally {
      await removeEverywhere([h1, h2], name);
      await h1.close();
      await h2.close();
    }
  });

  it('pmc SIGKILLed after Begin, Prepare unanswered', async () => {
    await faultIn('begin', (pmc) => stopped('host-2', async () => void pmc.child.kill('SIGKILL')), false);
  });

  it('pmc SIGKILLed in Prepare, the incoming domain there', async () => {
    await faultIn('prepare', async (pmc) => void pmc.child.kill('SIGKILL'), false);
  });

  it('the source daemon SIGKILLed after Begin', async () => {
    await faultIn(
      'begin',
      async () => {
        process.kill(await daemonPid(lab, 'host-1'), 'SIGKILL');
      },
      true,
    );
  });

  it('the destination daemon SIGKILLed in Prepare', async () => {
    await faultIn(
      'prepare',
      async () => {
        process.kill(await daemonPid(lab, 'host-2'), 'SIGKILL');
      },
      true,
    );
  });
});
