/**
 * The built-in checks the test driver cannot exercise, failing and passing on
 * the lab's real QEMU hosts: jobs, CPU comparison, domain capabilities, free
 * memory, secrets, the dirty rate, and mixed drivers (test driver vs QEMU)
 * for the hypervisor type/version and CPU mode checks.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cpuCompatible, cpuMode } from '../../src/checks/cpu.js';
import { domainJob, domainState } from '../../src/checks/domain.js';
import { hypervisorType, hypervisorVersion } from '../../src/checks/hypervisor.js';
import { memoryAvailable } from '../../src/checks/memory.js';
import { migrationConvergence } from '../../src/checks/migration.js';
import { platformSupported } from '../../src/checks/platform.js';
import { secretsPresent } from '../../src/checks/secrets.js';
import { Connection, constants } from '../../src/index.js';
import { LAB_VM_DISK } from '../../src/lab/index.js';
import { runCheck } from '../helpers/checks.js';
import { labGuestXml, removeEverywhere, startBlockCopy, uniqueName, withLabGuest } from '../helpers/check-lab.js';
import { fixtureUri } from '../helpers/fixtures.js';
import { openHosts, whereRuns } from '../helpers/lab.js';
import { countLibvirtCalls } from '../helpers/libvirt-calls.js';

const lab = inject('lab');

describe('built-in checks on the lab', () => {
  let h1: Connection;
  let h2: Connection;
  let t: Connection;

  beforeAll(async () => {
    [h1, h2] = (await openHosts(lab)) as [Connection, Connection];
    t = await Connection.open(fixtureUri('host-a'));
  });
  afterAll(async () => {
    await Promise.all([h1?.close(), h2?.close(), t?.close()]);
  });

  /** Each test's guest must end up running on exactly one host (or, for a defined-only guest, none). */
  async function expectOneHost(name: string): Promise<void> {
    expect(await whereRuns(lab, name)).toEqual(['host-1']);
  }

  it('domain.job: fails during a block job, passes without one', async () => {
    await withLabGuest([h1, h2], 'chk-job', { localDisk: true }, async (dom, name) => {
      expect((await runCheck(domainJob, dom, h2, { live: true })).status).toBe('pass');
      await startBlockCopy(lab, dom, name);
      const r = await runCheck(domainJob, dom, h2, { live: true });
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/block job on vda/);
      await dom.blockJobAbort('vda');
      await expectOneHost(name);
    });
  });

  it('domain.state: fails for a live migration of a defined, stopped guest', async () => {
    await withLabGuest([h1, h2], 'chk-state', { define: true }, async (dom, name) => {
      const r = await runCheck(domainState, dom, h2, { live: true });
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/shutoff/);
      await dom.create();
      expect((await runCheck(domainState, dom, h2, { live: true })).status).toBe('pass');
      await expectOneHost(name);
    });
  });

  it('cpu.compatible: passes for qemu64, fails naming the feature the destination lacks', async () => {
    await withLabGuest([h1, h2], 'chk-cpu', {}, async (ok, name) => {
      const pass = await runCheck(cpuCompatible, ok, h2, { live: true });
      expect(pass.status, pass.message).toBe('pass');
      await expectOneHost(name);
    });
    // TCG has no AVX-512: defined (it could not start), checked as for a migration once started
    // (an offline migration starts nothing, so the check does not apply to one).
    await withLabGuest(
      [h1, h2],
      'chk-cpu-bad',
      {
        cpu: "<cpu mode='custom' match='exact'><model>qemu64</model><feature policy='require' name='avx512f'/></cpu>",
        define: true,
      },
      async (dom) => {
        const r = await runCheck(cpuCompatible, dom, h2, {});
        expect(r.status, r.message).toBe('fail');
        expect(r.message).toMatch(/avx512f/);
      },
    );
  });

  it('platform.supported: passes for the lab guest, fails for a test-driver guest on QEMU', async () => {
    await withLabGuest([h1, h2], 'chk-platform', {}, async (dom, name) => {
      const r = await runCheck(platformSupported, dom, h2, { live: true });
      expect(r.status, r.message).toBe('pass');
      await expectOneHost(name);
    });
    const guest1 = await t.lookupDomainByName('guest1');
    const r = await runCheck(platformSupported, guest1, h2, { live: true });
    expect(r.status).toBe('fail');
    expect(r.message).toMatch(/virt type test/);
  });

  it('hypervisor.type and hypervisor.version fail between the test driver and QEMU, pass between QEMU hosts', async () => {
    const guest1 = await t.lookupDomainByName('guest1');
    const type = await runCheck(hypervisorType, guest1, h2);
    expect(type.status).toBe('fail');
    expect(type.message).toMatch(/TEST .* QEMU/);
    await withLabGuest([h1, h2], 'chk-hv', {}, async (dom, name) => {
      // QEMU 7.2 to the test driver's "0.0.2": an older destination.
      const version = await runCheck(hypervisorVersion, dom, t);
      expect(version.status).toBe('fail');
      expect(version.message).toMatch(/older than the source 7\.2/);
      expect((await runCheck(hypervisorType, dom, h2)).status).toBe('pass');
      expect((await runCheck(hypervisorVersion, dom, h2)).status).toBe('pass');
      await expectOneHost(name);
    });
  });

  it('cpu.mode: a host-passthrough guest fails between hosts with different CPUs', async () => {
    const g = await t.createDomain(
      "<domain type='test'><name>passthrough</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os><cpu mode='host-passthrough'/></domain>",
    );
    try {
      const r = await runCheck(cpuMode, g, h2);
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/hosts' CPUs differ/);
    } finally {
      await g.destroy();
    }
  });

  it('memory.available: passes for the 64 MiB guest, fails for a 1 TiB definition', async () => {
    await withLabGuest([h1, h2], 'chk-mem', {}, async (dom, name) => {
      const r = await runCheck(memoryAvailable, dom, h2, { live: true });
      expect(r.status, r.message).toBe('pass');
      await expectOneHost(name);
    });
    await withLabGuest([h1, h2], 'chk-mem-huge', { memoryMiB: 1024 * 1024, define: true }, async (big) => {
      const r = await runCheck(memoryAvailable, big, h2, {});
      expect(r.status).toBe('fail');
      expect(r.message).toMatch(/safety rule/);
    });
  });

  it('secrets.present: fails while the destination lacks the disk secret, passes once it has it', async () => {
    const name = uniqueName('chk-secret');
    const uuid = '5b0c7a2e-3d4f-4e1a-9b8c-7d6e5f4a3b21';
    const secretXml = `<secret ephemeral='no' private='yes'><uuid>${uuid}</uuid><usage type='ceph'><name>${name}</name></usage></secret>`;
    await h1.defineSecret(secretXml);
    const xml = labGuestXml(name).replace(
      '<serial',
      `<disk type='network' device='disk'><driver name='qemu' type='raw'/><source protocol='rbd' name='rbd/${name}'><host name='127.0.0.1' port='6789'/></source><auth username='admin'><secret type='ceph' uuid='${uuid}'/></auth><target dev='vdb' bus='virtio'/></disk><serial`,
    );
    // Defined only: there is no Ceph cluster to start it against.
    const dom = await h1.defineDomain(xml);
    try {
      const missing = await runCheck(secretsPresent, dom, h2, {});
      expect(missing.status, missing.message).toBe('fail');
      expect(missing.message).toMatch(uuid);
      await h2.defineSecret(secretXml);
      const present = await runCheck(secretsPresent, dom, h2, {});
      expect(present.status, present.message).toBe('pass');
    } finally {
      await removeEverywhere([h1, h2], name);
    }
  });

  it('migration.convergence: measures the dirty rate and forecasts both ways', async () => {
    await withLabGuest([h1, h2], 'chk-conv', {}, async (dom, name) => {
      // 64 MiB at 1 MiB/s needs ~64 s of pre-copy: past a 10 s timeout.
      const slow = await runCheck(migrationConvergence, dom, h2, {
        live: true,
        bandwidth: 1,
        convergenceTimeoutS: 10,
      });
      expect(slow.status, slow.message).toBe('fail');
      expect(slow.message).toMatch(/will not converge/);
      expect(slow.details).toMatchObject({ bandwidthMiBPerS: 1 });
      // The rate the forecast used is the one libvirt measured for this run (its last measurement, over 1 s).
      const measured = await dom.getDirtyRate();
      expect(measured['dirtyrate.calc_status']).toBe(constants.VIR_DOMAIN_DIRTYRATE_MEASURED);
      expect(measured['dirtyrate.calc_period']).toBe(1);
      expect((slow.details as { dirtyMiBPerS: number }).dirtyMiBPerS).toBe(
        Number(measured['dirtyrate.megabytes_per_second']),
      );
      // An idle guest at 1 GiB/s converges at once.
      const fast = await runCheck(migrationConvergence, dom, h2, { live: true, linkSpeed: 1024 });
      expect(fast.status, fast.message).toBe('pass');
      expect(fast.message).toMatch(/converges in \d+ rounds/);
      await expectOneHost(name);
    });
  });
});

describe('a full built-in run on the lab', () => {
  it('asks each distinct libvirt question once per connection, and allows a copy-storage migration of lab-vm-disk', async () => {
    const [h1, h2] = (await openHosts(lab)) as [Connection, Connection];
    try {
      const dom = await h1.lookupDomainByName(LAB_VM_DISK);
      // The real calls into libvirt, counted on the binding (a check asking
      // libvirt itself instead of the run's facts shows as a repeat).
      const libvirt = countLibvirtCalls([h1, h2], [dom]);
      let report;
      try {
        report = await dom.checkPMC(h2, { live: true, copyStorageAll: true });
      } finally {
        libvirt.restore();
      }
      // Without a bandwidth the convergence forecast is "not verifiable": a failing warning, nothing else.
      expect(
        report.checks.filter((c) => c.status !== 'pass').map((c) => [c.name, c.status, c.message.split(':')[0]]),
        JSON.stringify(report.checks),
      ).toEqual([['migration.convergence', 'fail', 'not verifiable (only while data flows)']]);
      expect(report.verdict).toBe('allowed-with-warnings');
      console.log(`[measure] libvirt calls of a full built-in run: ${libvirt.calls.length}`);
      // No repeat: after a check alone (nothing migrated) where the guest runs
      // comes from the run's own answers (locateFromRunFacts), not a second look-up.
      expect(libvirt.repeatedOn(h1)).toEqual({});
      expect(libvirt.repeatedOn(h2)).toEqual({});
      expect(libvirt.keysOn(h1)).toContain('getCapabilities()');
      expect(libvirt.keysOn(h2)).toContain('getCapabilities()');
      expect(libvirt.keysOn(h1).length + libvirt.keysOn(h2).length).toBe(libvirt.calls.length);
      expect(await whereRuns(lab, LAB_VM_DISK)).toEqual(['host-1']);
    } finally {
      await Promise.all([h1.close(), h2.close()]);
    }
  });
});
