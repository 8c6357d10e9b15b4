/**
 * Evacuation planning (src/fleet/plan.ts): which guests, the assignment that
 * respects capacity as guests pile up (docs/fleet.md, "Capacity"), and the
 * cost: each host's facts once, each guest's once, only the pair questions
 * per guest and candidate, counted from a log of the real libvirt calls.
 */
import { describe, expect, it } from 'vitest';
import { constants } from '../../src/index.js';
import { Connection, InvalidArgumentError, planEvacuation } from '../../src/index.js';
import type { HostCapacity } from '../../src/fleet/place.js';
import {
  assignGuests,
  pairVerdict,
  VCPU_ALLOCATION_RATIO,
  type GuestToPlace,
  type PairVerdict,
} from '../../src/fleet/plan.js';
import { checkOnlyReport, entry } from '../helpers/reports.js';
import { fixtureUri } from '../helpers/fixtures.js';
import { useFixtureHosts } from '../helpers/fixture-hosts.js';
import { countLibvirtCalls } from '../helpers/libvirt-calls.js';

const GiB = 2 ** 30;
const host = (freeGiB: number, cpus = 8): HostCapacity => ({
  freeBytes: freeGiB * GiB,
  totalBytes: 64 * GiB,
  cpus,
  cpuModel: 'Skylake-Server',
});
const pair = (uri: string, verdict: PairVerdict['verdict'] = 'allowed', blocking: string[] = []): PairVerdict => ({
  uri,
  hostname: uri,
  verdict,
  blocking,
  convergence: null,
});
const guest = (domain: string, memGiB: number, pairs: PairVerdict[], vcpus = 2, offline = false): GuestToPlace => ({
  domain,
  uuid: `00000000-0000-4000-8000-00000000000${domain.length}`,
  offline,
  needs: { bytes: memGiB * GiB, vcpus },
  pairs,
});
const both = () => [pair('h2'), pair('h3')];
const options = { strict: false, reserveBytes: 0, sourceCpuModel: 'Skylake-Server' };

describe('assignGuests: capacity as guests pile up', () => {
  it('puts the biggest guest first and spreads the others when the best host fills', () => {
    const plan = assignGuests(
      [guest('small', 2, both()), guest('big', 8, both()), guest('mid', 4, both())],
      [
        { uri: 'h2', capacity: host(12) },
        { uri: 'h3', capacity: host(10) },
      ],
      options,
    );
    expect(plan.map((g) => [g.domain, g.destination])).toEqual([
      ['big', 'h2'], // h2 has most room
      ['mid', 'h3'], // h2 has 4 GiB left now, h3 10: h3 scores higher
      ['small', 'h3'], // h2 4 left, h3 6 left
    ]);
    expect(plan.every((g) => g.verdict === 'allowed' && !g.migration.attempted && g.domainLocation === 'source')).toBe(
      true,
    );
  });

  it('never overfills a host: with the reserve, a guest that fits nowhere is refused for capacity', () => {
    const plan = assignGuests(
      [guest('a', 6, both()), guest('b', 6, both()), guest('c', 6, both())],
      [
        { uri: 'h2', capacity: host(12) },
        { uri: 'h3', capacity: host(12) },
      ],
      // 12 GiB free less a 1 GiB reserve: one 6 GiB guest each, where two would fit without it.
      { ...options, reserveBytes: 1 * GiB },
    );
    expect(plan.map((g) => g.destination)).toEqual(['h2', 'h3', null]);
    const refused = plan[2]!;
    expect(refused.verdict).toBe('blocked');
    expect(refused.reason).toMatch(/^capacity: the checks allow h2, h3, but none has room for 6144 MiB/);
    expect(refused.reason).toContain('a reserve of 1024 MiB');
    // Without a reserve: 11 GiB free takes one 6 GiB guest, not two; 12 GiB takes both, exactly.
    const two = [guest('a', 6, [pair('h2')]), guest('b', 6, [pair('h2')])];
    expect(assignGuests(two, [{ uri: 'h2', capacity: host(11) }], options).map((g) => g.destination)).toEqual([
      'h2',
      null,
    ]);
    expect(assignGuests(two, [{ uri: 'h2', capacity: host(12) }], options).map((g) => g.destination)).toEqual([
      'h2',
      'h2',
    ]);
  });

  it('names the critical checks that block a guest everywhere', () => {
    // The pairs as planEvacuation makes them from its runs' reports (pairVerdict, through blockingChecks):
    // failing or erroring critical checks block; warnings (failing or erroring) and info do not, without strict.
    const run = (uri: string, critical: string[]) => ({
      candidate: { uri },
      convergence: null,
      report: checkOnlyReport({
        domain: { name: 'disk', uuid: '00000000-0000-4000-8000-000000000004' },
        source: { uri: 'h1', hostname: 'h1' },
        destination: { uri, hostname: uri },
        checks: [
          entry('cpu.compatible', 'critical', critical.includes('cpu.compatible') ? 'error' : 'pass', 'x'),
          entry('storage.shared', 'critical', critical.includes('storage.shared') ? 'fail' : 'pass', 'x'),
          entry('migration.convergence', 'warning', 'fail', 'not verifiable: x'),
          entry('network.present', 'warning', 'error', 'x'),
          entry('host.notes', 'info', 'fail', 'x'),
        ],
        verdict: 'blocked',
      }),
    });
    const [plan] = assignGuests(
      [
        guest('disk', 1, [
          pairVerdict(run('h2', ['storage.shared']), false),
          pairVerdict(run('h3', ['storage.shared', 'cpu.compatible']), false),
        ]),
      ],
      [
        { uri: 'h2', capacity: host(32) },
        { uri: 'h3', capacity: host(32) },
      ],
      options,
    );
    expect(plan).toMatchObject({ destination: null, verdict: 'blocked' });
    expect(plan!.reason).toBe(
      'blocked by checks on every candidate: h2: storage.shared; h3: cpu.compatible, storage.shared',
    );
    // With strict, the warnings block too; info never does.
    expect(pairVerdict(run('h2', []), true).blocking).toEqual(['migration.convergence', 'network.present']);
    expect(plan!.ranking.map((r) => r.uri)).toEqual(['h2', 'h3']);
  });

  it('takes allowed-with-warnings as allowed, but not with strict; prefers allowed', () => {
    const pairs = [pair('h2', 'allowed-with-warnings'), pair('h3', 'allowed')];
    const hosts = [
      { uri: 'h2', capacity: host(60) },
      { uri: 'h3', capacity: host(2) },
    ];
    // h3 is allowed but has no room: the warned h2 takes it.
    expect(assignGuests([guest('g', 4, pairs)], hosts, options)[0]).toMatchObject({
      destination: 'h2',
      verdict: 'allowed-with-warnings',
    });
    const strict = assignGuests([guest('g', 4, pairs)], hosts, { ...options, strict: true })[0]!;
    expect(strict).toMatchObject({ destination: null, verdict: 'blocked' });
    expect(strict.ranking).toEqual([
      expect.objectContaining({ uri: 'h3', verdict: 'allowed' }),
      expect.objectContaining({ uri: 'h2', verdict: 'blocked' }),
    ]);
  });

  it('counts vCPUs up to the allocation ratio, and offline guests take no memory', () => {
    const many = Array.from({ length: 3 }, (_, i) => guest(`v${i}`, 0, [pair('h2')], VCPU_ALLOCATION_RATIO));
    const plan = assignGuests(many, [{ uri: 'h2', capacity: host(64, 2) }], options);
    expect(plan.map((g) => g.destination)).toEqual(['h2', 'h2', null]);
    const offline = assignGuests(
      [guest('off', 48, [pair('h2')], 2, true)],
      [{ uri: 'h2', capacity: host(1) }],
      options,
    );
    expect(offline[0]).toMatchObject({ destination: 'h2', offline: true, memoryKiB: 48 * 2 ** 20 });
  });
});

describe('planEvacuation on the test driver', () => {
  const hosts = useFixtureHosts({ a: 'host-a', b: 'host-b', c: 'host-c' });

  it('plans every active guest of the source against every candidate, JSON-clean', async () => {
    const plan = await planEvacuation(hosts.a, [hosts.b, hosts.c], {
      live: true,
      signal: new AbortController().signal,
    });
    expect(plan).toMatchObject({ version: 1, source: fixtureUri('host-a'), options: { live: true } });
    expect(plan.candidates).toEqual([fixtureUri('host-b'), fixtureUri('host-c')]);
    // Biggest first: guest-big (12 GiB) before guest1 (1 GiB).
    expect(plan.guests.map((g) => [g.domain, g.memoryKiB, g.vcpus, g.offline])).toEqual([
      ['guest-big', 12 * 2 ** 20, 8, false],
      ['guest1', 2 ** 20, 2, false],
    ]);
    // The test driver cannot say a file-defined host's free memory or jobs: blocked, checks named.
    const guest1 = plan.guests[1]!;
    expect(guest1).toMatchObject({ destination: null, verdict: 'blocked' });
    expect(guest1.reason).toMatch(/^blocked by checks on every candidate: .*host-b\.xml: .*storage\.shared/);
    expect(guest1.ranking).toHaveLength(2);
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it('takes shut-off persistent guests only with includeInactive (offline), or when named', async () => {
    expect((await planEvacuation(hosts.c, [hosts.b], {})).guests).toEqual([]);
    const inactive = await planEvacuation(hosts.c, [hosts.b], { includeInactive: true });
    expect(inactive.guests.map((g) => [g.domain, g.offline])).toEqual([['guest1', true]]);
    const named = await planEvacuation(hosts.c, [hosts.b], { domains: ['guest1'] });
    expect(named.guests.map((g) => [g.domain, g.offline])).toEqual([['guest1', true]]);
    await expect(planEvacuation(hosts.c, [hosts.b], { domains: ['nope'] })).rejects.toMatchObject({
      code: 'VIR_ERR_NO_DOMAIN',
    });
  });

  it('refuses a guest for capacity when checks allow it but no host has room', async () => {
    const [source, dest] = await Promise.all([Connection.open('test:///default'), Connection.open('test:///default')]);
    try {
      // test:///default says 3 MiB are free; its guest has 8 GiB. With memory.available skipped the
      // checks allow it, and the plan's own capacity refuses it.
      const skip = ['host.distinct', 'domain.name-free', 'domain.job', 'memory.available', 'storage.shared'];
      const plan = await planEvacuation(source, [dest], { skip, reserveMemoryMiB: 0 });
      expect(plan.guests).toHaveLength(1);
      expect(plan.guests[0]).toMatchObject({ domain: 'test', destination: null, verdict: 'blocked' });
      expect(plan.guests[0]!.reason).toMatch(/^capacity: the checks allow test:\/\/\/default, but none has room/);
      expect(plan.guests[0]!.ranking).toEqual([
        { uri: 'test:///default', verdict: 'allowed-with-warnings', score: 17.5 },
      ]);
    } finally {
      await Promise.all([source.close(), dest.close()]);
    }
  });

  it('rejects invalid options before asking libvirt anything', async () => {
    await expect(planEvacuation(hosts.a, [])).rejects.toThrow(/candidates/);
    await expect(planEvacuation(hosts.a, [hosts.b], { reserveMemoryMiB: -1 })).rejects.toThrow(InvalidArgumentError);
    await expect(planEvacuation(hosts.a, [hosts.b], { domains: [''] })).rejects.toMatchObject({
      code: 'ERR_PMC_INVALID_ARG',
    });
  });
});

describe('the cost of a plan: H × host facts + G × guest facts + G × H × pair questions', () => {
  const hosts = useFixtureHosts({ a: 'host-a', b: 'host-b', c: 'host-c' });
  const guests = ['guest1', 'guest-big'];

  /** The calls a plan of `domains` makes, split by what they are about. */
  async function planCalls(domains: string[]) {
    const log = countLibvirtCalls([hosts.a, hosts.b, hosts.c]);
    try {
      await planEvacuation(hosts.a, [hosts.b, hosts.c], { live: true, domains });
    } finally {
      log.restore();
    }
    const uuids = await Promise.all(guests.map(async (g) => (await hosts.a.lookupDomainByName(g)).uuid));
    const aboutAGuest = (key: string) =>
      guests.some((g) => key.includes(`"${g}"`) || key.includes(`(${g})`)) || uuids.some((u) => key.includes(u));
    const split = (keys: string[]) => ({ host: keys.filter((k) => !aboutAGuest(k)), pair: keys.filter(aboutAGuest) });
    return { log, source: log.keysOn(hosts.a), b: split(log.keysOn(hosts.b)), c: split(log.keysOn(hosts.c)) };
  }

  it('asks each candidate its host questions once, however many guests', async () => {
    const one = await planCalls(['guest1']);
    const two = await planCalls(guests);
    for (const side of ['b', 'c'] as const) {
      // Each host question once (capabilities, node info, free memory, pools, networks, …) …
      expect(new Set(two[side].host).size).toBe(two[side].host.length);
      expect(two[side].host).toEqual(expect.arrayContaining(['getCapabilities()', 'getFreeMemory()', 'getNodeInfo()']));
      // … and the same questions for one guest as for two.
      expect([...two[side].host].sort()).toEqual([...one[side].host].sort());
    }
    // Each guest's own questions once on the source, although it is checked against two
    // candidates; "where is it now" too comes from them (its state), not asked per pair.
    for (const g of guests) {
      const own = two.source.filter((k) => k.startsWith(`domain(${g}).`));
      expect(new Set(own).size, own.join(' ')).toBe(own.length);
      expect(own).toContain(`domain(${g}).getXMLDesc(${constants.VIR_DOMAIN_XML_MIGRATABLE})`);
      expect(own).not.toContain(`domain(${g}).isActive()`);
    }
    // Pair questions: none but whether a guest the candidate holds already runs there (host-c
    // defines guest1). Whether it holds a guest comes from one listing of its domains, not from
    // a look-up by name and one by UUID per guest (failing ones, for every guest it lacks).
    const G = 2;
    const H = 2;
    const pairCalls = two.b.pair.length + two.c.pair.length;
    console.log(
      `[plan cost] ${two.log.calls.length} calls: source ${two.source.length}, candidates' host ${two.b.host.length}+${two.c.host.length}, pair ${pairCalls}`,
    );
    expect(two.b.pair).toEqual([]);
    expect(two.c.pair).toEqual(['domain(guest1).isActive()']);
    for (const side of ['b', 'c'] as const) {
      expect(two[side].host.filter((k) => k.startsWith('listAllDomains('))).toHaveLength(1);
      expect(two[side].host.filter((k) => k.startsWith('lookupDomainBy'))).toEqual([]);
    }
    // The whole plan: H × 14 host questions (the listing of domains among them), the source's
    // dozen, G × 6 guest questions, the one pair question.
    expect(two.log.calls.length).toBeLessThanOrEqual(H * 14 + 12 + G * 6 + 1);
  });
});
