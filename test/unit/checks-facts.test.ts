/** A full built-in run asks libvirt each distinct question at most once per connection. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinChecks } from '../../src/checks/index.js';
import { Connection } from '../../src/index.js';
import { Facts } from '../../src/pmc/facts.js';
import { fixtureUri } from '../helpers/fixtures.js';
import { runCheckDirect } from '../helpers/checks.js';

describe('facts of a full built-in run', () => {
  let a: Connection;
  let c: Connection;
  beforeAll(async () => {
    [a, c] = await Promise.all([Connection.open(fixtureUri('host-a')), Connection.open(fixtureUri('host-c'))]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), c.close()]);
  });

  it('issues each distinct libvirt query once, shared by all checks running at once', async () => {
    const guest = await a.lookupDomainByName('guest1');
    const facts = new Facts(guest, a, c);
    const options = { live: true, copyStorageAll: true, persistent: true };
    const results = await Promise.all(builtinChecks.map((check) => runCheckDirect(check, guest, c, options, facts)));
    expect(results).toHaveLength(builtinChecks.length);
    const queries = facts.queries;
    expect(new Set(queries).size).toBe(queries.length);
    // Capabilities, the migratable XML, versions, …: asked once although several checks read them.
    for (const q of ['source.capabilities', 'destination.capabilities', 'domain.migratableXml', 'destination.pools']) {
      expect(queries.filter((x) => x === q), q).toHaveLength(1);
    }
    const total = [...facts.calls.values()].reduce((s, n) => s + n, 0);
    expect(total).toBe(queries.length);
    expect(total).toBeLessThan(40);
  });
});

describe('a full built-in run through checkPMC', () => {
  it('reports every built-in check, and blocks guest1 (local disk, no copy) to host C', async () => {
    const [a, c] = await Promise.all([Connection.open(fixtureUri('host-a')), Connection.open(fixtureUri('host-c'))]);
    try {
      const guest = await a.lookupDomainByName('guest1');
      const report = await guest.checkPMC(c, { live: true });
      expect(report.checks.map((r) => r.name)).toEqual(builtinChecks.map((b) => b.name));
      expect(report.verdict).toBe('blocked');
      const failed = report.checks.filter((r) => r.status === 'fail').map((r) => r.name);
      expect(failed).toContain('storage.shared');
      // What the test driver cannot answer errors honestly instead of passing.
      const errored = report.checks.filter((r) => r.status === 'error').map((r) => r.name);
      expect(errored).toEqual(expect.arrayContaining(['domain.job', 'memory.available']));
    } finally {
      await Promise.all([a.close(), c.close()]);
    }
  });
});
