/**
 * The rehearsal (docs/rehearsal.md) against the lab: libvirt's own Begin and
 * Prepare, then Finish and Confirm cancelled. A guest whose fw_cfg blob
 * (`<sysinfo type='fwcfg'>`) exists only on the source is blocked by
 * `migration.rehearsal` with QEMU's own words, and allowed when both hosts
 * have the file. Afterwards the destination has no domain, no QEMU and no
 * volume left, and the guest runs on its source alone.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { Connection, Domain, Report } from '../../src/index.js';
import { labLayout } from '../../src/lab/layout.js';
import { labGuestXml, removeEverywhere, uniqueName, withLabGuest } from '../helpers/check-lab.js';
import { parseReport, runPmc, startPmc } from '../helpers/cli.js';
import { daemonPid, expectRunsOnlyOn, host, useLabHosts, whereRuns } from '../helpers/lab.js';

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

/** QEMU processes of guest `name`, as `ps` sees them on this machine (every lab host's). */
function qemuProcesses(name: string): string[] {
  const out = execFileSync('ps', ['-eo', 'user:32,args', '--no-headers'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(`guest=${name},`));
}

/** Nothing of `name` on the destination: no domain (active or not), no QEMU as host-2's user. */
async function expectNothingLeftOnHost2(h2: Connection, name: string): Promise<void> {
  expect(await h2.lookupDomainByName(name).catch(() => null)).toBeNull();
  const user2 = lab.hosts.find((x) => x.name === 'host-2')!.user;
  expect(qemuProcesses(name).filter((l) => l.startsWith(`${user2} `))).toEqual([]);
}

function checkArgs(name: string, options: string[]): string[] {
  return ['-c', host1.uri, 'check', '--live', '--json', ...options, name, host2.uri, host2.migrationUri];
}

describe('the rehearsal on the lab', () => {
  const hosts = useLabHosts(lab);

  it('pmc check --rehearse blocks a guest whose fw_cfg file exists only on the source, and leaves nothing behind', async () => {
    const name = uniqueName('reh-fwcfg');
    const file = writePrivateFile('host-1', name, 'blob.bin', 'pmc');
    try {
      await hosts.h1.createDomain(fwcfgGuestXml(name, file));
      const { stdout, stderr } = await runPmc(checkArgs(name, ['--rehearse']));
      const report = parseReport<Report>(stdout);
      const rehearsal = report.checks.find((c) => c.name === 'migration.rehearsal');
      expect(rehearsal, stderr).toMatchObject({ status: 'fail', severity: 'critical' });
      // libvirt's error verbatim: QEMU on the destination could not open the blob.
      expect(rehearsal!.message).toContain(file);
      expect(rehearsal!.details).toMatchObject({ phase: 'prepare' });
      expect(report.verdict).toBe('blocked');
      await expectNothingLeftOnHost2(hosts.h2, name);
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
      const { code, stdout, stderr } = await runPmc(checkArgs(name, ['--rehearse']));
      const report = parseReport<Report>(stdout);
      const rehearsal = report.checks.find((c) => c.name === 'migration.rehearsal');
      expect(rehearsal, stderr).toMatchObject({ status: 'pass' });
      expect(rehearsal!.message).toMatch(/Begin \d+ ms, Prepare \d+ ms, Finish \d+ ms, Confirm \d+ ms/);
      expect(report.verdict).not.toBe('blocked');
      expect(code, stderr).toBe(0);
      await expectNothingLeftOnHost2(hosts.h2, name);
      await expectRunsOnlyOn(lab, name, 'host-1');
    } finally {
      await removeEverywhere([hosts.h1, hosts.h2], name);
      removePrivateDir('host-1', name);
      removePrivateDir('host-2', name);
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
      expect(await hosts.h2.lookupStorageVolumeByPath(disk).catch(() => null)).toBeNull();
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
      expect(await hosts.h2.lookupStorageVolumeByPath(disk).catch(() => null)).toBeNull();
      await expectNothingLeftOnHost2(hosts.h2, dom.name);
    });
  });

  it('a guest with locked memory is not rehearsed unless forced', async () => {
    const name = uniqueName('reh-locked');
    const xml = labGuestXml(name).replace('</domain>', '<memoryBacking><locked/></memoryBacking></domain>');
    try {
      const dom = await hosts.h1.defineDomain(xml);
      // Defined only: the reason is read from Begin's XML before anything starts on the destination.
      const report = await dom.checkPMC(hosts.h2, { offline: true, noBuiltins: true, rehearse: true });
      const rehearsal = report.checks.find((c) => c.name === 'migration.rehearsal')!;
      expect(rehearsal).toMatchObject({ status: 'skipped' });
      expect(rehearsal.message).toMatch(/locked/);
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
      expect(report.checks.find((c) => c.name === 'migration.rehearsal'), stderr).toMatchObject({ status: 'pass' });
      expect(report.migration.succeeded, stderr).toBe(true);
      expect(code).toBe(0);
      expect(await whereRuns(lab, name)).toEqual(['host-2']);
      void dom;
    });
  });
});

/**
 * Faults: pmc killed in each phase. libvirt ties both jobs to the client's
 * connections (close callbacks), so the source's job ends and the incoming
 * QEMU is killed when pmc dies. The phase is reached by holding the daemon
 * that serves it with SIGSTOP, killing pmc, then letting the daemon go on.
 */
describe('the rehearsal survives a crash of pmc in each phase', () => {
  const hosts = useLabHosts(lab);

  async function killPmcDuring(phase: 'begin' | 'prepare', hostName: 'host-1' | 'host-2'): Promise<void> {
    const name = uniqueName(`reh-kill-${phase}`);
    await hosts.h1.createDomain(labGuestXml(name));
    const daemon = await daemonPid(lab, hostName);
    try {
      const run = startPmc(checkArgs(name, ['--rehearse', '--skip-check', 'migration.convergence']));
      // The checks ask both hosts too: stop the daemon once the rehearsal is the only thing left to ask.
      await new Promise((r) => setTimeout(r, 1500));
      process.kill(daemon, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 500));
      run.child.kill('SIGKILL');
      await run.done;
    } finally {
      process.kill(daemon, 'SIGCONT');
    }
    try {
      // The daemons notice the closed connections; give their close callbacks a moment.
      for (let i = 0; i < 50; i++) {
        const left = await hosts.h2.lookupDomainByName(name).catch(() => null);
        if (!left) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      await expectNothingLeftOnHost2(hosts.h2, name);
      await expectRunsOnlyOn(lab, name, 'host-1');
      // The source's job ended: a real migration can start at once.
      const dom = await hosts.h1.lookupDomainByName(name);
      expect(await dom.getJobInfo().then((j) => j.type)).toBe('none');
    } finally {
      await removeEverywhere([hosts.h1, hosts.h2], name);
    }
  }

  it('pmc SIGKILLed while the source daemon serves Begin', async () => {
    await killPmcDuring('begin', 'host-1');
  });

  it('pmc SIGKILLed while the destination daemon serves Prepare', async () => {
    await killPmcDuring('prepare', 'host-2');
  });
});

void fwcfgGuestXml;
void removeEverywhere;
