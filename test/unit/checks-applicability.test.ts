/**
 * Checks apply to the migration at hand: a JS check may say it does not apply
 * (`skipped`, with its reason, never blocking), and each of the built-in checks
 * either decides an offline migration of a shut-off persistent guest (pass or
 * fail) or says why it does not apply; none ends in `error`. A check that
 * applies but cannot find out fails as a warning, "not verifiable: …".
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Connection, type CheckDefinition, type Domain } from '../../src/index.js';
import { builtinChecks } from '../../src/checks/index.js';
import { domainJob, domainNameFree } from '../../src/checks/domain.js';
import { migrationConvergence, migrationFlags } from '../../src/checks/migration.js';
import { platformSupported } from '../../src/checks/platform.js';
import { useFixtureHosts, useRunHosts } from '../helpers/fixture-hosts.js';
import { runCheck, runCheckDirect } from '../helpers/checks.js';

const OFFLINE = { offline: true, persistent: true } as const;

let serial = 0;

/** A persistent test-driver guest, defined and left shut off. */
function guestXml(name: string, opts: { arch?: string; inner?: string; devices?: string; uuid?: string } = {}): string {
  return `<domain type='test'>
  <name>${name}</name>${opts.uuid ? `\n  <uuid>${opts.uuid}</uuid>` : ''}
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='${opts.arch ?? 'i686'}'>hvm</type></os>
  ${opts.inner ?? ''}
  <devices>${opts.devices ?? ''}</devices>
</domain>`;
}

/**
 * What would fail a live migration almost everywhere: a CPU the test driver
 * cannot compare, invtsc without a frequency, 64 vCPUs pinned to CPU 99, 64 GiB,
 * a local disk, a missing ISO, an encrypted disk's secret, an absent network,
 * PCI and USB host devices, a shmem device. An offline migration moves only the
 * definition, so none of it may block.
 */
const TROUBLE = {
  inner: `<cpu mode='custom' match='exact'><model>Haswell</model><feature policy='require' name='invtsc'/></cpu>
  <cputune><vcpupin vcpu='0' cpuset='99'/></cputune>`,
  devices: `
    <disk type='file' device='disk'><source file='/var/lib/pmc-a/images/guest2.qcow2'/><target dev='vda' bus='virtio'/>
      <encryption format='luks'><secret type='passphrase' uuid='0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f'/></encryption></disk>
    <disk type='file' device='cdrom'><source file='/nowhere/missing.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>
    <interface type='network'><mac address='52:54:00:aa:0f:01'/><source network='nope'/></interface>
    <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source></hostdev>
    <hostdev mode='subsystem' type='usb'><source><vendor id='0x046d'/><product id='0xc077'/></source></hostdev>
    <shmem name='shm0'><model type='ivshmem-plain'/><size unit='M'>4</size></shmem>`,
};

/** Each built-in check's decision for an offline migration of the shut-off TROUBLE guest. */
const OFFLINE_DECISIONS: Record<string, { status: 'pass' | 'skipped'; message: RegExp }> = {
  'connection.alive': { status: 'pass', message: /both connections are alive/ },
  'host.distinct': { status: 'pass', message: /connections differ/ },
  'host.migration-address': { status: 'pass', message: /offers its hostname/ },
  'hypervisor.type': { status: 'pass', message: /both hosts run TEST/ },
  'hypervisor.version': { status: 'skipped', message: /no migration stream/ },
  'libvirt.version': { status: 'pass', message: /destination libvirt/ },
  'migration.flags': { status: 'pass', message: /consistent/ },
  'migration.raw-options': { status: 'pass', message: /no raw flag/ },
  'persistence.safe': { status: 'pass', message: /source keeps its definition/ },
  'domain.state': { status: 'pass', message: /shutoff; an offline migration moves its definition in any state/ },
  'domain.job': { status: 'skipped', message: /shutoff: no QEMU runs/ },
  'domain.snapshots': { status: 'pass', message: /no snapshots/ },
  'domain.name-free': { status: 'pass', message: /no domain named/ },
  'platform.supported': { status: 'pass', message: /offer arch i686/ },
  'cpu.compatible': { status: 'skipped', message: /libvirt compares no CPU/ },
  'cpu.mode': { status: 'skipped', message: /guest CPU is set up afresh/ },
  'cpu.tsc': { status: 'skipped', message: /invtsc rule/ },
  'cpu.count': { status: 'skipped', message: /no vCPU runs there/ },
  'cpu.pinning': { status: 'skipped', message: /cputune/ },
  'memory.available': { status: 'skipped', message: /no memory is allocated/ },
  'storage.shared': { status: 'skipped', message: /qemuMigrationSrcIsSafe/ },
  'storage.copy-target': { status: 'skipped', message: /no storage is copied/ },
  'storage.cache': { status: 'skipped', message: /qemuMigrationSrcIsSafe/ },
  'storage.cdrom': { status: 'skipped', message: /no image is opened/ },
  'host.paths': { status: 'skipped', message: /no QEMU starts there/ },
  'host.paths-verifiable': { status: 'skipped', message: /no QEMU starts there/ },
  'network.present': { status: 'skipped', message: /no interface is plugged/ },
  'network.bridge': { status: 'skipped', message: /no interface is plugged into a bridge/ },
  'devices.hostdev': { status: 'skipped', message: /checks no host device/ },
  'devices.usb': { status: 'skipped', message: /no USB device/ },
  'devices.migratable': { status: 'skipped', message: /skips its device rules/ },
  'devices.virtiofs-verifiable': { status: 'skipped', message: /skips its device rules/ },
  'secrets.present': { status: 'skipped', message: /looks the secrets up when the guest starts/ },
  'migration.convergence': { status: 'skipped', message: /no memory is copied/ },
};

describe('a check that does not apply is skipped with its reason', () => {
  const hosts = useRunHosts();

  const critical = (name: string, run: CheckDefinition['run']): CheckDefinition => ({
    name,
    severity: 'critical',
    description: `test check ${name}`,
    run,
  });

  it('a skipped critical JS check keeps its reason and does not block, in parallel and sequential runs', async () => {
    const checks = [
      critical('test.not-here', () => ({ status: 'skipped', message: 'does not apply here' })),
      critical('test.after', () => true),
    ];
    for (const sequential of [false, true]) {
      const report = await hosts.guest1.checkPMC(hosts.destination, { noBuiltins: true, checks, sequential });
      expect(report.checks.map((c) => [c.name, c.status, c.message])).toEqual([
        ['test.not-here', 'skipped', 'does not apply here'],
        ['test.after', 'pass', ''],
      ]);
      expect(report.verdict).toBe('allowed');
    }
  });

  it('a skip without a reason is an error of the check', async () => {
    for (const message of [undefined, '', '  ']) {
      const report = await hosts.guest1.checkPMC(hosts.destination, {
        noBuiltins: true,
        checks: [critical('test.silent', () => ({ status: 'skipped', message }) as never)],
      });
      expect(report.checks[0]).toMatchObject({ status: 'error', message: /without a reason/ });
      expect(report.verdict).toBe('blocked');
    }
  });
});

describe('built-in checks on an offline migration of a shut-off persistent guest', () => {
  const hosts = useFixtureHosts({ a: 'host-a', b: 'host-b' });
  let trouble: Domain;

  beforeAll(async () => {
    trouble = await hosts.a.defineDomain(guestXml(`offline-trouble-${process.pid}`, TROUBLE));
    expect((await trouble.getState()).state).toBe('shutoff');
    expect(await trouble.isPersistent()).toBe(true);
  });

  it('covers every built-in check', () => {
    expect(Object.keys(OFFLINE_DECISIONS).sort()).toEqual(builtinChecks.map((c) => c.name).sort());
  });

  for (const check of builtinChecks) {
    const expected = OFFLINE_DECISIONS[check.name]!;
    it(`${check.name}: ${expected.status}, never error`, async () => {
      const r = await runCheck(check, trouble, hosts.b, OFFLINE);
      expect(r.status, r.message).toBe(expected.status);
      expect(r.message).toMatch(expected.message);
    });
  }

  it('the checks that apply still fail offline: contradicting flags, a name clash, a platform the destination lacks', async () => {
    const flags = await runCheck(migrationFlags, trouble, hosts.b, { offline: true });
    expect(flags).toMatchObject({ status: 'fail', message: /persistent flag/ });

    const name = `offline-clash-${process.pid}-${++serial}`;
    const g = await hosts.a.defineDomain(guestXml(name));
    const other = await hosts.b.defineDomain(guestXml(name));
    try {
      expect(other.uuid).not.toBe(g.uuid);
      expect(await runCheck(domainNameFree, g, hosts.b, OFFLINE)).toMatchObject({
        status: 'fail',
        message: /another UUID/,
      });
    } finally {
      await Promise.all([g.undefine(), other.undefine()]);
    }

    const x86 = await hosts.a.defineDomain(guestXml(`offline-x86-${process.pid}-${++serial}`, { arch: 'x86_64' }));
    try {
      expect(await runCheck(platformSupported, x86, hosts.b, OFFLINE)).toMatchObject({
        status: 'fail',
        message: /offer no guest with arch x86_64/,
      });
    } finally {
      await x86.undefine();
    }
  });

  it('the whole built-in run is allowed against a compatible destination, and nothing errors', async () => {
    // test:///default reports its free memory, unlike the custom hosts.
    const dflt = await Connection.open('test:///default');
    const g = await hosts.a.defineDomain(guestXml(`offline-ok-${process.pid}-${++serial}`));
    try {
      const report = await g.checkPMC(dflt, OFFLINE);
      expect(report.checks).toHaveLength(builtinChecks.length);
      expect(
        report.checks.filter((c) => c.status === 'fail' || c.status === 'error'),
        JSON.stringify(report.checks),
      ).toEqual([]);
      for (const c of report.checks.filter((c) => c.status === 'skipped')) expect(c.message).not.toBe('');
      expect(report.verdict).toBe('allowed');
    } finally {
      await g.undefine();
      await dflt.close();
    }
  });

  it('a live migration of the shut-off guest is blocked by domain.state alone; job and convergence do not apply', async () => {
    const report = await trouble.checkPMC(hosts.b, { live: true, bandwidth: 100 });
    const by = (name: string) => report.checks.find((c) => c.name === name)!;
    expect(by('domain.state')).toMatchObject({ status: 'fail', message: /start it/ });
    expect(by('domain.job')).toMatchObject({ status: 'skipped', message: /no QEMU runs/ });
    expect(by('migration.convergence')).toMatchObject({ status: 'skipped', message: /no memory to copy/ });
    expect(report.verdict).toBe('blocked');
  });
});

describe('paused guests and unverifiable forecasts', () => {
  const hosts = useFixtureHosts({ a: 'host-a', b: 'host-b' });

  it('a paused guest dirties no memory: the forecast decides without measuring', async () => {
    const g = await hosts.a.createDomain(guestXml(`paused-${process.pid}-${++serial}`));
    try {
      await g.suspend();
      const fits = await runCheckDirect(migrationConvergence, g, hosts.b, { live: true, bandwidth: 100 });
      expect(fits).toMatchObject({ status: 'pass', message: /a paused guest: dirty rate 0 .* converges in 1 rounds/ });
      expect(fits.facts.calls.get('domain.dirtyRate')).toBeUndefined();
      // 256 MiB at 1 MiB/s is 256 s: past a 60 s timeout, even in one round.
      const slow = await runCheck(migrationConvergence, g, hosts.b, {
        live: true,
        bandwidth: 1,
        convergenceTimeoutS: 60,
      });
      expect(slow).toMatchObject({ status: 'fail', message: /past the 60 s timeout/ });
      // A non-live migration pauses a running guest first: the same forecast.
      await g.resume();
      const nonLive = await runCheckDirect(migrationConvergence, g, hosts.b, { bandwidth: 100 });
      expect(nonLive).toMatchObject({ status: 'pass', message: /paused \(non-live\) guest/ });
      expect(nonLive.facts.calls.get('domain.dirtyRate')).toBeUndefined();
    } finally {
      await g.destroy();
    }
  });

  it('no bandwidth: "not verifiable", a failing warning that strict mode blocks', async () => {
    const g = await hosts.a.lookupDomainByName('guest1');
    const r = await runCheckDirect(migrationConvergence, g, hosts.b, { live: true });
    expect(r.status).toBe('fail');
    expect(r.message).toMatch(/^not verifiable \(only while data flows\): how long pre-copy takes/);
    expect(r.facts.calls.get('domain.dirtyRate')).toBeUndefined();
    expect(migrationConvergence.severity).toBe('warning');
    const checks = [migrationConvergence];
    expect((await g.checkPMC(hosts.b, { live: true, noBuiltins: true, checks })).verdict).toBe('allowed-with-warnings');
    expect((await g.checkPMC(hosts.b, { live: true, noBuiltins: true, checks, strict: true })).verdict).toBe('blocked');
  });

  it('domain.job still asks about the job of a running guest migrated offline (libvirt Begin takes a job)', async () => {
    const g = await hosts.a.lookupDomainByName('guest1');
    const r = await runCheckDirect(domainJob, g, hosts.b, OFFLINE);
    expect(r.facts.calls.get('domain.jobInfo')).toBe(1);
  });
});
