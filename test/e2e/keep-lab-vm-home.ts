/**
 * Every e2e test starts with lab-vm running on host 1 alone. A test that fails
 * half-way (say, an abort that lost its race with a fast migration) can leave
 * it on host 2; bringing it back here keeps that one failure from failing
 * every later test. Tests still assert where the guest runs themselves.
 */
import { beforeEach, inject } from 'vitest';
import { Connection, constants, isLibvirtError } from '../../src/index.js';
import { LAB_VM } from '../../src/lab/index.js';

beforeEach(async () => {
  const lab = inject('lab');
  const [h1, h2] = lab.hosts;
  if (!h1 || !h2) return;
  const [c1, c2] = await Promise.all([Connection.open(h1.uri), Connection.open(h2.uri)]);
  try {
    const active = async (c: Connection) => {
      try {
        const d = await c.lookupDomainByName(LAB_VM);
        return (await d.isActive()) ? d : null;
      } catch (e) {
        if (isLibvirtError(e, 'VIR_ERR_NO_DOMAIN')) return null;
        throw e;
      }
    };
    const [on1, on2] = await Promise.all([active(c1), active(c2)]);
    if (on2 && !on1) {
      console.warn(`[e2e] ${LAB_VM} was left on host-2 by an earlier test: migrating it back`);
      await on2.migrate3(c1, { uri: h1.migrationUri }, constants.VIR_MIGRATE_LIVE!);
    }
  } finally {
    await Promise.all([c1.close(), c2.close()]);
  }
});
