/** migratePMC on the real lab: the checks decide, libvirt migrates, the report tells where the guest runs. */
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { type CheckDefinition, type MigrationProgress } from '../../src/index.js';
import { LAB_VM } from '../../src/lab/index.js';
import {
  abortingMidMigration,
  bringBackToHost1,
  expectBlockedOnHost1,
  expectRunsOnlyOn,
  host,
  migratePMCToHost2,
  useLabHosts,
  waitForMigrationData,
} from '../helpers/lab.js';

const lab = inject('lab');
const toHost2 = { live: true, migrateUri: host(lab, 'host-2').migrationUri };
const toHost1 = { live: true, migrateUri: host(lab, 'host-1').migrationUri };
const pass: CheckDefinition = { name: 'test.pass', severity: 'critical', description: 'passes', run: () => true };
const failing = (
  name: string,
  severity: CheckDefinition['severity'],
  description: string,
  message: string,
): CheckDefinition => ({ name, severity, description, run: () => ({ status: 'fail', message }) });

/** The names of the C core's progress table (virPMCProgressFields), which the addon reports by. */
const PROGRESS_FIELDS = [
  ...readFileSync(new URL('../../native/pmc/pmc-migrate.c', import.meta.url), 'utf8').matchAll(
    /\{ VIR_DOMAIN_JOB_\w+, "(\w+)",/g,
  ),
]
  .map((m) => m[1])
  .sort();

describe('migratePMC in the lab', () => {
  const hosts = useLabHosts(lab);

  it('migrates when every check passes, reports the destination, and comes back', async () => {
    const progress: MigrationProgress[] = [];
    const dom = await hosts.h1.lookupDomainByName(LAB_VM);
    const report = await dom.migratePMC(hosts.h2, {
      ...toHost2,
      // A limit keeps the transfer longer than a few progress polls: on a warm lab
      // (other e2e files ran first) the idle guest otherwise moves between two polls.
      bandwidth: 4,
      noBuiltins: true,
      checks: [pass],
      onProgress: (p) => progress.push(p),
      progressIntervalMs: 50,
    });
    expect(report.verdict).toBe('allowed');
    expect(report.migration).toMatchObject({ attempted: true, succeeded: true, error: null });
    expect(report.migration.durationMs).toBeGreaterThan(0);
    expect(report.domainLocation).toBe('destination');
    expect(report.migratedDomain?.name).toBe(LAB_VM);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.some((p) => p.dataProcessed > 0 || p.memProcessed > 0)).toBe(true);
    // Every field of the C core's virPMCProgress, by the names of its table.
    expect(PROGRESS_FIELDS).toContain('elapsedMs');
    for (const p of progress) {
      expect(Object.keys(p).sort()).toEqual(PROGRESS_FIELDS);
      for (const value of Object.values(p)) expect(value).toBeTypeOf('number');
    }
    await expectRunsOnlyOn(lab, LAB_VM, 'host-2');

    const back = await report.migratedDomain!.migratePMC(hosts.h1, { ...toHost1, noBuiltins: true, checks: [pass] });
    expect(back.migration.succeeded).toBe(true);
    expect(back.domainLocation).toBe('destination');
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });

  it('does not migrate when a critical check fails', async () => {
    const report = await migratePMCToHost2(lab, hosts, LAB_VM, {
      checks: [pass, failing('test.block', 'critical', 'blocks', 'no')],
    });
    await expectBlockedOnHost1(lab, report, LAB_VM);
  });

  it('migrates past a failing warning and keeps the warning in the report', async () => {
    const report = await migratePMCToHost2(lab, hosts, LAB_VM, {
      checks: [failing('test.warn', 'warning', 'warns', 'careful')],
    });
    expect(report.verdict).toBe('allowed-with-warnings');
    expect(report.checks[0]).toMatchObject({ name: 'test.warn', status: 'fail', message: 'careful' });
    expect(report.migration.succeeded).toBe(true);
    expect(report.domainLocation).toBe('destination');
    await expectRunsOnlyOn(lab, LAB_VM, 'host-2');
    await bringBackToHost1(lab, report.migratedDomain!, hosts.h1);
  });

  it('aborts the job when the signal fires during the migration: the guest stays on the source', async () => {
    const report = await abortingMidMigration(lab, LAB_VM, async () => {
      const dom = await hosts.h1.lookupDomainByName(LAB_VM);
      const controller = new AbortController();
      const running = dom.migratePMC(hosts.h2, {
        ...toHost2,
        bandwidth: 1,
        noBuiltins: true,
        checks: [pass],
        signal: controller.signal,
      });
      await waitForMigrationData(dom);
      controller.abort();
      return running;
    });
    expect(report.cancelled).toBe(true);
    expect(report.migration).toMatchObject({ attempted: true, succeeded: false });
    expect(report.migration.error?.code).toBe('VIR_ERR_OPERATION_ABORTED');
    expect(report.domainLocation).toBe('source');
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });
});
