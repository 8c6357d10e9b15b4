/**
 * Faults during the check phase: the destination's daemon dies, a connection
 * is closed, a check throws after its timeout. Each run ends blocked with the
 * affected check in error, nothing is migrated, and the guest keeps running on
 * its source alone.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Connection, type CheckContext, type CheckDefinition } from '../../src/index.js';
import { LAB_VM, labUp } from '../../src/lab/index.js';
import { daemonPid, expectRunsOnlyOn, host, openHosts } from '../helpers/lab.js';

const lab = inject('lab');
const toHost2 = { live: true, migrateUri: host(lab, 'host-2').migrationUri };

/** A check that waits for the test to cause the fault, then asks the destination something. */
function gatedDestinationCheck(): { check: CheckDefinition; started: Promise<void>; release: () => void } {
  let markStarted!: () => void;
  let release!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  const check: CheckDefinition = {
    name: 'test.destination-after-fault',
    severity: 'critical',
    description: 'asks the destination after the fault',
    async run({ destination }: CheckContext) {
      markStarted();
      await gate;
      await destination.getFreeMemory();
      return true;
    },
  };
  return { check, started, release };
}

describe('faults during the check phase', () => {
  let h1: Connection;

  beforeAll(async () => {
    [h1] = (await openHosts(lab)) as [Connection];
  });
  afterAll(async () => {
    await h1?.close();
  });

  it('the destination daemon killed while the checks run: blocked, nothing migrated', async () => {
    const dest = await Connection.open(host(lab, 'host-2').uri);
    try {
      const dom = await h1.lookupDomainByName(LAB_VM);
      const gated = gatedDestinationCheck();
      // Only the gated check: nothing asked the destination before the kill, so
      // the report's own questions (its hostname) meet the dead daemon too.
      const running = dom.migratePMC(dest, { ...toHost2, noBuiltins: true, checks: [gated.check], timeoutMs: 10_000 });
      await gated.started;
      process.kill(await daemonPid(lab, 'host-2'), 'SIGKILL');
      gated.release();
      const report = await running;

      expect(report.checks.find((c) => c.name === gated.check.name)).toMatchObject({ status: 'error' });
      expect(report.verdict).toBe('blocked');
      expect(report.migration.attempted).toBe(false);
      // A host that cannot be asked makes the answer unknown (src/pmc/locate-guest.ts), never a guess.
      expect(report.domainLocation).toBe('unknown');
      expect(report.destination.hostname).toBe('');
    } finally {
      await dest.close();
      // Restarts the killed daemon (up is idempotent).
      const restarted = await labUp({ id: lab.id });
      lab.hosts = restarted.hosts;
    }
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });

  it('the destination connection closed while the checks run: blocked, nothing migrated', async () => {
    const dest = await Connection.open(host(lab, 'host-2').uri);
    const dom = await h1.lookupDomainByName(LAB_VM);
    const gated = gatedDestinationCheck();
    const running = dom.migratePMC(dest, { ...toHost2, checks: [gated.check], timeoutMs: 10_000 });
    await gated.started;
    await dest.close();
    gated.release();
    const report = await running;

    const faulted = report.checks.find((c) => c.name === gated.check.name);
    expect(faulted).toMatchObject({ status: 'error' });
    expect(faulted?.message).toMatch(/VIR_ERR_INVALID_CONN|closed/i);
    expect(report.verdict).toBe('blocked');
    expect(report.migration.attempted).toBe(false);
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });

  it('a check that throws after its timeout: error (timed out), blocked, and the late throw harms nothing', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const h2 = await Connection.open(host(lab, 'host-2').uri);
    try {
      const dom = await h1.lookupDomainByName(LAB_VM);
      let threwLate!: () => void;
      const lateThrow = new Promise<void>((resolve) => (threwLate = resolve));
      const late: CheckDefinition = {
        name: 'test.throws-late',
        severity: 'critical',
        description: 'throws after its timeout',
        async run() {
          await new Promise((resolve) => setTimeout(resolve, 600));
          threwLate();
          throw new Error('too late');
        },
      };
      const report = await dom.migratePMC(h2, { ...toHost2, noBuiltins: true, checks: [late], timeoutMs: 200 });
      expect(report.checks[0]).toMatchObject({ name: 'test.throws-late', status: 'error' });
      expect(report.checks[0]?.message).toMatch(/timed out/i);
      expect(report.verdict).toBe('blocked');
      expect(report.migration.attempted).toBe(false);
      await lateThrow;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await h2.close();
    }
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });
});
