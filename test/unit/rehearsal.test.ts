/**
 * The rehearsal (docs/rehearsal.md) on libvirt's test driver, which has no
 * migration: Begin is refused in libvirt's words, and the run reports that as
 * the critical check migration.rehearsal. The lab's e2e test
 * (test/e2e/rehearsal.test.ts) shows a passing one.
 */
import { describe, expect, it } from 'vitest';
import type { CheckDefinition } from '../../src/index.js';
import { useRunHosts } from '../helpers/fixture-hosts.js';

const notVerifiable: CheckDefinition = {
  name: 'test.unseen',
  severity: 'warning',
  description: 'cannot see the destination',
  run: () => ({ status: 'fail', message: 'not verifiable: what the destination has at /x' }),
};

describe('the rehearsal on the test driver', () => {
  const hosts = useRunHosts();
  const rehearsalOf = <T extends { name: string }>(checks: T[]) => checks.find((c) => c.name === 'migration.rehearsal');

  it('is refused at Begin with libvirt own message, a critical failure that blocks', async () => {
    const report = await hosts.guest1.checkPMC(hosts.destination, { live: true, noBuiltins: true, rehearse: true });
    expect(rehearsalOf(report.checks)).toMatchObject({
      severity: 'critical',
      status: 'fail',
      origin: 'builtin',
      message: 'this function is not supported by the connection driver: virDomainMigrateBegin3Params',
      details: { phase: 'begin' },
    });
    expect(report.verdict).toBe('blocked');
  });

  it('does not run without the option', async () => {
    const report = await hosts.guest1.checkPMC(hosts.destination, { live: true, noBuiltins: true });
    expect(rehearsalOf(report.checks)).toBeUndefined();
  });

  it('does not run when a check blocks already, and says which', async () => {
    const blocker: CheckDefinition = { name: 'test.no', severity: 'critical', description: 'no', run: () => false };
    const report = await hosts.guest1.checkPMC(hosts.destination, {
      noBuiltins: true,
      checks: [blocker],
      rehearse: true,
    });
    expect(rehearsalOf(report.checks)).toMatchObject({
      status: 'skipped',
      message: 'not rehearsed: test.no blocks the migration already',
    });
  });

  it('runs in strict mode past a "not verifiable" warning, which a failed rehearsal does not settle', async () => {
    const report = await hosts.guest1.checkPMC(hosts.destination, {
      noBuiltins: true,
      checks: [notVerifiable],
      strict: true,
      rehearse: true,
    });
    expect(rehearsalOf(report.checks)?.status).toBe('fail');
    expect(report.checks.find((c) => c.name === 'test.unseen')?.status).toBe('fail');
  });

  it('migratePMC with rehearse does not migrate after a failed rehearsal', async () => {
    const report = await hosts.guest1.migratePMC(hosts.destination, { live: true, noBuiltins: true, rehearse: true });
    expect(rehearsalOf(report.checks)?.status).toBe('fail');
    expect(report.migration.attempted).toBe(false);
  });
});
