/** A full built-in run asks libvirt each distinct question at most once per connection. */
import { describe, expect, it } from 'vitest';
import { builtinChecks } from '../../src/checks/index.js';
import { Connection, constants } from '../../src/index.js';
import { checkWithSharedFacts } from '../../src/api.js';
import type { Report } from '../../src/index.js';
import { DomainFacts, Facts, HostFacts } from '../../src/pmc/facts.js';
import { fixtureUri } from '../helpers/fixtures.js';
import { useFixtureHosts } from '../helpers/fixture-hosts.js';
import { runCheckDirect } from '../helpers/checks.js';
import { countLibvirtCalls } from '../helpers/libvirt-calls.js';

describe('facts of a full built-in run', () => {
  const hosts = useFixtureHosts({ a: 'host-a', c: 'host-c' });

  it('asks one volume once however its path is spelt (/a//b/ and /a/b are one question)', async () => {
    const guest = await hosts.a.lookupDomainByName('guest1');
    const facts = new Facts(guest, hosts.a, hosts.c);
    const libvirt = countLibvirtCalls([hosts.a, hosts.c], [guest]);
    try {
      await Promise.all(
        ['/var/lib/pmc-fixture/x.img', '/var//lib/pmc-fixture/./x.img', '/var/lib/pmc-fixture/x.img/'].map((p) =>
          facts.destination.volumeByPath(p),
        ),
      );
    } finally {
      libvirt.restore();
    }
    expect(libvirt.keysOn(hosts.c).filter((k) => k.startsWith('lookupStorageVolByPath('))).toEqual([
      'lookupStorageVolByPath("/var/lib/pmc-fixture/x.img")',
    ]);
  });

  it('issues each distinct libvirt query once, shared by all checks running at once', async () => {
    const guest = await hosts.a.lookupDomainByName('guest1');
    const facts = new Facts(guest, hosts.a, hosts.c);
    const options = { live: true, copyStorageAll: true, persistent: true };
    // The real calls into libvirt, counted on the binding: a check that asked
    // libvirt itself instead of the facts would show here as a repeat.
    const libvirt = countLibvirtCalls([hosts.a, hosts.c], [guest]);
    let results;
    try {
      results = await Promise.all(builtinChecks.map((check) => runCheckDirect(check, guest, hosts.c, options, facts)));
    } finally {
      libvirt.restore();
    }
    expect(results).toHaveLength(builtinChecks.length);
    expect(libvirt.repeatedOn(hosts.a)).toEqual({});
    // The guest is on the destination, looked up by name and by UUID: whether it runs is asked once.
    expect(libvirt.repeatedOn(hosts.c)).toEqual({});
    expect(libvirt.keysOn(hosts.c)).toContain('domain(guest1).isActive()');
    // Capabilities, the migratable XML, pools, …: asked once although several checks read them.
    const source = libvirt.keysOn(hosts.a);
    const destination = libvirt.keysOn(hosts.c);
    expect(source).toContain('getCapabilities()');
    expect(destination).toContain('getCapabilities()');
    expect(source).toContain(`domain(guest1).getXMLDesc(${constants.VIR_DOMAIN_XML_MIGRATABLE})`);
    expect(destination.filter((k) => k.startsWith('listAllStoragePools('))).toHaveLength(1);
    // Every call went to one of the run's two connections, and the whole run is one small wave.
    expect(source.length + destination.length).toBe(libvirt.calls.length);
    expect(libvirt.calls.length).toBeLessThan(40);
  });

  it('answers domain look-ups from one listing when asked to (fleet work): the same answers, one call', async () => {
    const guests = await hosts.a.listAllDomains();
    const asked = [
      ...guests.map((g) => ({ name: g.name, uuid: g.uuid })),
      { name: 'nowhere', uuid: '00000000-0000-4000-8000-000000000000' },
    ];
    const answers = async (facts: HostFacts) =>
      Promise.all(asked.map(async (g) => [await facts.domainByName(g.name), await facts.domainByUUID(g.uuid)]));
    const lookedUp = new HostFacts(hosts.c, 'destination');
    const listed = new HostFacts(hosts.c, 'destination');
    listed.answerLookupsFromListing();
    const expected = await answers(lookedUp);
    const libvirt = countLibvirtCalls([hosts.c]);
    let got;
    try {
      got = await answers(listed);
    } finally {
      libvirt.restore();
    }
    expect(got).toEqual(expected);
    // host-c defines guest1 (the UUID of host-a's): found, and whether it runs asked once.
    expect(expected.flat().filter((a) => a !== null)).toHaveLength(2);
    expect(libvirt.keysOn(hosts.c)).toEqual(['listAllDomains(0)', 'domain(guest1).isActive()']);
  });
});

describe("one guest's facts shared across candidates (a plan)", () => {
  const hosts = useFixtureHosts({ a: 'host-a', b: 'host-b', c: 'host-c' });
  const CDROM_GUEST = `<domain type="test"><name>cd-guest</name><memory unit="MiB">256</memory><vcpu>1</vcpu>
    <os><type arch="x86_64">hvm</type></os><devices><disk type="file" device="cdrom">
    <source file="/var/lib/pmc-a/iso/install.iso"/><target dev="hdc" bus="ide"/><readonly/></disk></devices></domain>`;

  it('judges host.paths for each candidate, whatever the order (host-c holds the image in a pool, host-b has no pool there)', async () => {
    const guest = await hosts.a.createDomain(CDROM_GUEST);
    try {
      const pathsOutcomes = (r: Report) =>
        r.checks.filter((x) => x.name.startsWith('host.paths')).map((x) => `${x.name} ${x.status}`);
      const alone = {
        b: pathsOutcomes(await checkWithSharedFacts(guest, hosts.b, { live: true }, {})),
        c: pathsOutcomes(await checkWithSharedFacts(guest, hosts.c, { live: true }, {})),
      };
      expect(alone).toEqual({
        b: ['host.paths pass', 'host.paths-verifiable fail'],
        c: ['host.paths pass', 'host.paths-verifiable pass'],
      });
      for (const order of [
        ['b', 'c'],
        ['c', 'b'],
      ] as const) {
        const shared = { domain: new DomainFacts(guest), source: new HostFacts(hosts.a, 'source') };
        for (const name of order) {
          const dest = hosts[name];
          const report = await checkWithSharedFacts(
            guest,
            dest,
            { live: true },
            {
              ...shared,
              destination: new HostFacts(dest, 'destination'),
            },
          );
          expect(pathsOutcomes(report), `${order.join(' then ')}: ${name}`).toEqual(alone[name]);
        }
      }
    } finally {
      await guest.destroy();
    }
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
