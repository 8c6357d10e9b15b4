/**
 * `postcopyResume` (virsh --postcopy-resume): the guest already runs on the
 * destination after a post-copy migration failed. The checks expect that
 * instead of blocking it, and refuse a resume with nothing to resume. The test
 * driver cannot pause a guest after a failed post-copy (nor can the lab, whose
 * QEMU has no userfaultfd: docs/lab.md), so the state check's passing case is
 * not covered here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Domain } from '../../src/index.js';
import { domainJob, domainNameFree, domainState } from '../../src/checks/domain.js';
import { memoryAvailable } from '../../src/checks/memory.js';
import { migrationFlags } from '../../src/checks/migration.js';
import { useFixtureHosts } from '../helpers/fixture-hosts.js';
import { runCheck } from '../helpers/checks.js';

const RESUME = { live: true, postcopy: true, postcopyResume: true } as const;

describe('postcopyResume', () => {
  const hosts = useFixtureHosts({
    a: 'host-a',
    /** Runs guest1 (the same UUID): where a failed post-copy migration left it. */
    twin: 'host-twin',
    /** Holds an inactive definition of guest1. */
    c: 'host-c',
    /** Has no guest1 at all. */
    b: 'host-b',
  });
  let guest1: Domain;

  beforeAll(async () => {
    guest1 = await hosts.a.lookupDomainByName('guest1');
  });

  it('domain.name-free passes when the destination runs the guest (and fails there without postcopyResume)', async () => {
    const resumed = await runCheck(domainNameFree, guest1, hosts.twin, RESUME);
    expect(resumed).toMatchObject({ status: 'pass', message: expect.stringMatching(/failed post-copy/) });
    expect((await runCheck(domainNameFree, guest1, hosts.twin, { live: true, postcopy: true })).status).toBe('fail');
  });

  it('domain.name-free fails when the destination has nothing to resume (an inactive definition, or none)', async () => {
    const inactive = await runCheck(domainNameFree, guest1, hosts.c, RESUME);
    expect(inactive).toMatchObject({ status: 'fail', message: expect.stringMatching(/only an inactive definition/) });
    const none = await runCheck(domainNameFree, guest1, hosts.b, RESUME);
    expect(none).toMatchObject({ status: 'fail', message: expect.stringMatching(/no failed post-copy migration/) });
  });

  it('memory.available and domain.job are skipped: the memory is on the destination, the job is the one resumed', async () => {
    for (const check of [memoryAvailable, domainJob]) {
      const r = await runCheck(check, guest1, hosts.twin, RESUME);
      expect(r).toMatchObject({ status: 'skipped', message: expect.stringMatching(/post-copy/) });
    }
  });

  it('domain.state fails for a guest that is not paused after a failed post-copy migration', async () => {
    const r = await runCheck(domainState, guest1, hosts.twin, RESUME);
    expect(r).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^the domain is running, .*nothing to resume/),
    });
  });

  it('migration.flags: postcopyResume needs postcopy, and no offline migration', async () => {
    const alone = await runCheck(migrationFlags, guest1, hosts.twin, { live: true, postcopyResume: true });
    expect(alone).toMatchObject({ status: 'fail', message: expect.stringMatching(/postcopyResume needs postcopy/) });
    expect((await runCheck(migrationFlags, guest1, hosts.twin, RESUME)).status).toBe('pass');
    const offline = await runCheck(migrationFlags, guest1, hosts.twin, {
      ...RESUME,
      live: false,
      offline: true,
      persistent: true,
    });
    expect(offline.message).toMatch(/an offline migration has no failed post-copy to resume/);
  });
});
