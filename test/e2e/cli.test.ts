/**
 * The `pmc` command against the two-host QEMU lab (test/e2e/global-setup.ts
 * starts it): dry run, a checked migration with --verbose progress off a
 * terminal, a migration a critical check blocks, and Ctrl-C during a
 * migration. Every test ends with each guest running on exactly one host.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { LAB_VM, LAB_VM_DISK } from '../../src/lab/index.js';
import type { Report } from '../../src/pmc/types.js';
import { parseReport, runPmc, startPmc } from '../helpers/cli.js';
import { abortingMidMigration, expectRunsOnlyOn, host, whereRuns } from '../helpers/lab.js';

const lab = inject('lab');
const host1 = host(lab, 'host-1');
const host2 = host(lab, 'host-2');

/** `pmc -c <from> migrate … <domain> <to> <to's migration URI>`: both daemons share one machine. */
function migrateArgs(from: typeof host1, to: typeof host1, domain: string, options: string[]): string[] {
  return ['-c', from.uri, 'migrate', ...options, domain, to.uri, to.migrationUri];
}

async function backToHost1(domain: string): Promise<void> {
  if ((await whereRuns(lab, domain)).includes('host-2')) {
    const { code, stderr } = await runPmc(migrateArgs(host2, host1, domain, ['--live']));
    expect(code, stderr).toBe(0);
  }
}

describe('pmc on the lab', () => {
  afterEach(async () => {
    for (const guest of [LAB_VM, LAB_VM_DISK]) {
      expect(await whereRuns(lab, guest), `${guest} runs on exactly one host`).toHaveLength(1);
    }
  });

  it('check (dry run) gives a report that matches the schema and moves nothing', async () => {
    const { code, stdout, stderr } = await runPmc([
      '-c',
      host1.uri,
      'check',
      '--live',
      '--json',
      LAB_VM,
      host2.uri,
      host2.migrationUri,
    ]);
    const report = parseReport<Report>(stdout);
    expect(report.source.hostname).toBe(host1.hostname);
    expect(report.destination.hostname).toBe(host2.hostname);
    expect(report.migration.attempted).toBe(false);
    expect(report.verdict).not.toBe('blocked');
    expect(report.checks.length).toBeGreaterThan(0);
    expect(code, stderr).toBe(0);
    expect(await whereRuns(lab, LAB_VM)).toEqual(['host-1']);
  });

  it('migrate --pmc --live --verbose: progress lines off a terminal, exit 0, the guest on host 2', async () => {
    const { code, stdout, stderr } = await runPmc(migrateArgs(host1, host2, LAB_VM, ['--pmc', '--live', '--verbose']));
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    const progress = stderr.split('\n').filter((l) => l.startsWith('Migration:'));
    expect(progress.length).toBeGreaterThan(0);
    for (const line of progress) expect(line).toMatch(/^Migration: \[[ \d]{2}\d %\]$/);
    expect(progress.at(-1)).toBe('Migration: [100 %]');
    expect(stdout).toMatch(/^Migration: succeeded in /m);
    expect(stdout).toContain(`Guest runs on: the destination, ${host2.hostname}`);
    expect(await whereRuns(lab, LAB_VM)).toEqual(['host-2']);
    await backToHost1(LAB_VM);
    expect(await whereRuns(lab, LAB_VM)).toEqual(['host-1']);
  });

  it('migrate --json reports the migration and where the guest runs', async () => {
    const { code, stdout } = await runPmc(migrateArgs(host1, host2, LAB_VM, ['--pmc', '--live', '--json']));
    const report = parseReport<Report>(stdout);
    try {
      expect(code).toBe(0);
      expect(report.migration).toMatchObject({ attempted: true, succeeded: true, error: null });
      expect(report.domainLocation).toBe('destination');
      // Asked of both daemons, not taken from the report: running on host-2, and there alone.
      await expectRunsOnlyOn(lab, LAB_VM, 'host-2');
    } finally {
      await backToHost1(LAB_VM);
    }
  });

  it('lab-vm-disk (disk only on host 1) without --copy-storage-all: blocked by a critical check, exit 2, it stays on host 1', async () => {
    const { code, stdout } = await runPmc(migrateArgs(host1, host2, LAB_VM_DISK, ['--pmc', '--live', '--json']));
    const report = parseReport<Report>(stdout);
    expect(code).toBe(2);
    expect(report.verdict).toBe('blocked');
    expect(report.checks.find((c) => c.name === 'storage.shared')).toMatchObject({
      severity: 'critical',
      status: 'fail',
    });
    expect(report.migration.attempted).toBe(false);
    expect(report.domainLocation).toBe('source');
    expect(await whereRuns(lab, LAB_VM_DISK)).toEqual(['host-1']);
  });

  it('the same guest with --copy-storage-all passes the storage checks in a dry run', async () => {
    const { stdout } = await runPmc([
      '-c',
      host1.uri,
      'check',
      '--live',
      '--copy-storage-all',
      '--json',
      LAB_VM_DISK,
      host2.uri,
      host2.migrationUri,
    ]);
    const report = parseReport<Report>(stdout);
    expect(report.checks.find((c) => c.name === 'storage.shared')?.status).toBe('pass');
    expect(await whereRuns(lab, LAB_VM_DISK)).toEqual(['host-1']);
  });

  it('Ctrl-C during the migration aborts the job: exit 130, the guest stays on host 1', async () => {
    // 1 MiB/s keeps the migration running long enough to interrupt it.
    const { code, stdout, stderr } = await abortingMidMigration(lab, LAB_VM, async () => {
      const run = startPmc(migrateArgs(host1, host2, LAB_VM, ['--live', '--verbose', '--bandwidth', '1', '--json']));
      await run.waitForOutput(/^Migration: \[/m, 30_000).catch(() => undefined); // a fast migration may print none: judged below
      run.child.kill('SIGINT');
      return run.done;
    });
    const report = parseReport<Report>(stdout);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('pmc: interrupted');
    expect(report.cancelled).toBe(true);
    expect(report.migration).toMatchObject({ attempted: true, succeeded: false });
    expect(report.migration.error?.code).toBe('VIR_ERR_OPERATION_ABORTED');
    expect(report.domainLocation).toBe('source');
    expect(await whereRuns(lab, LAB_VM)).toEqual(['host-1']);
  });
});
