/**
 * Placement (src/fleet/place.ts) on libvirt's test driver: every candidate
 * gets the full check run, ranked by verdict, then by the score of
 * docs/fleet.md; `pmc place` prints it (docs/place.schema.json) and answers
 * with 0 or 2. The test driver cannot say a migration is allowed on its own
 * (it cannot give jobs, free memory of a file-defined host, or shared
 * storage), so the runs that must allow skip those checks, as an operator's
 * --skip-check would.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { builtinChecks } from '../../src/checks/index.js';
import { Connection, InvalidArgumentError, placeDomain, planEvacuation, type Placement } from '../../src/index.js';
import { byRank, scoreCandidate, SCORE_WEIGHTS, type HostCapacity } from '../../src/fleet/place.js';
import { runPmc } from '../helpers/cli.js';
import { fixturePath, fixtureUri } from '../helpers/fixtures.js';
import { useFixtureHosts } from '../helpers/fixture-hosts.js';

const readSchema = (name: string) =>
  JSON.parse(readFileSync(path.join(import.meta.dirname, '../../docs', name), 'utf8')) as object;
// place.schema.json takes its check from report.schema.json ($ref): one definition, two documents.
const validate = new Ajv({ allErrors: true, strict: true })
  .addSchema(readSchema('report.schema.json'))
  .compile(readSchema('place.schema.json'));

function parsePlacement(stdout: string): Placement {
  const placement = JSON.parse(stdout) as unknown;
  if (!validate(placement)) throw new Error(`not a placement: ${JSON.stringify(validate.errors, null, 2)}`);
  return placement as Placement;
}

/** What the test driver cannot answer for a same-driver "migration" (see the header). */
const UNANSWERABLE = ['host.distinct', 'domain.name-free', 'domain.job', 'memory.available', 'storage.shared'];
const GiB = 2 ** 30;

describe('placeDomain on the test driver', () => {
  const hosts = useFixtureHosts({ b: 'host-b' });

  it('runs every check against every candidate and ranks the allowed one first, whatever the order given', async () => {
    const [source, second] = await Promise.all([
      Connection.open('test:///default'),
      Connection.open('test:///default'),
    ]);
    try {
      const domain = await source.lookupDomainByName('test');
      // host-b (x86_64, file-defined) is blocked for test:///default's i686 guest; the second
      // test:///default connection allows it (with the convergence warning: no bandwidth known).
      const placement = await placeDomain(domain, [hosts.b, second], { skip: UNANSWERABLE });
      expect(placement.domain).toBe('test');
      expect(placement.candidates.map((c) => [c.uri, c.verdict])).toEqual([
        ['test:///default', 'allowed-with-warnings'],
        [fixtureUri('host-b'), 'blocked'],
      ]);
      for (const c of placement.candidates)
        expect(c.checks.map((r) => r.name)).toEqual(builtinChecks.map((b) => b.name));
      expect(placement.best).toBe('test:///default');
      expect(validate(placement), JSON.stringify(validate.errors)).toBe(true);
    } finally {
      await Promise.all([source.close(), second.close()]);
    }
  });

  it('names no best when every candidate is blocked', async () => {
    const source = await Connection.open(fixtureUri('host-a'));
    try {
      const placement = await placeDomain(await source.lookupDomainByName('guest1'), [hosts.b], { live: true });
      expect(placement.candidates.map((c) => c.verdict)).toEqual(['blocked']);
      expect(placement.best).toBeNull();
    } finally {
      await source.close();
    }
  });

  it('rejects no candidates and invalid options before any check runs', async () => {
    const source = await Connection.open('test:///default');
    try {
      const domain = await source.lookupDomainByName('test');
      await expect(placeDomain(domain, [])).rejects.toThrow(/candidates must be a non-empty array/);
      await expect(placeDomain(domain, [source], { timeoutMs: -1 })).rejects.toThrow(InvalidArgumentError);
      await expect(placeDomain(domain, [{ connection: source, uri: '' }])).rejects.toThrow(/non-empty uri/);
      // What names one destination (or, planning many guests, one guest) would apply to all: refused.
      const two = [hosts.b, { connection: hosts.b, uri: 'host-b again' }];
      await expect(placeDomain(domain, two, { p2p: true, destinationUri: 'qemu+tcp://x/system' })).rejects.toThrow(
        /destinationUri names one destination's particulars, and there are several candidates/,
      );
      await expect(planEvacuation(source, [hosts.b], { destName: 'renamed' })).rejects.toThrow(
        /destName names one guest's particulars/,
      );
    } finally {
      await source.close();
    }
  });

  it('names candidates by the URIs the caller gives, and refuses one name twice', async () => {
    const source = await Connection.open(fixtureUri('host-a'));
    try {
      const domain = await source.lookupDomainByName('guest1');
      const named = await placeDomain(domain, [{ connection: hosts.b, uri: 'host-b as typed' }], { live: true });
      expect(named.candidates.map((c) => c.uri)).toEqual(['host-b as typed']);
      // Unnamed, a candidate is its getURI(); so one connection twice is one name twice.
      await expect(placeDomain(domain, [hosts.b, hosts.b])).rejects.toThrow(
        `the candidate ${fixtureUri('host-b')} is given twice`,
      );
      await expect(placeDomain(domain, [hosts.b, { connection: source, uri: fixtureUri('host-b') }])).rejects.toThrow(
        /is given twice/,
      );
    } finally {
      await source.close();
    }
  });
});

describe('the score (docs/fleet.md, Scoring)', () => {
  const host: HostCapacity = { freeBytes: 32 * GiB, totalBytes: 64 * GiB, cpus: 16, cpuModel: 'Skylake-Server' };
  const guest = { bytes: 8 * GiB, vcpus: 4 };

  it('adds memory headroom, vCPU headroom, the same CPU model and the convergence forecast', () => {
    // (32-8)/64 of 40, (16-4)/16 of 20, 20 for the model, 20 × (1 - 0.25).
    expect(scoreCandidate(host, guest, 'Skylake-Server', 0.25)).toBe(15 + 15 + 20 + 15);
    expect(scoreCandidate(host, guest, 'Haswell', null)).toBe(30);
    expect(scoreCandidate({ ...host, freeBytes: 64 * GiB }, guest, null, null)).toBeGreaterThan(
      scoreCandidate(host, guest, null, null),
    );
    // All headroom, the same model, a forecast of no time at all: the weights' sum, 100.
    const top = scoreCandidate({ ...host, freeBytes: 64 * GiB + guest.bytes, cpus: 1e9 }, guest, 'Skylake-Server', 0);
    expect(top).toBe(Object.values(SCORE_WEIGHTS).reduce((a, b) => a + b, 0));
    expect(top).toBe(100);
  });

  it('counts what is already taken against the host, and never goes below 0', () => {
    expect(scoreCandidate(host, guest, null, null, { bytes: 24 * GiB, vcpus: 12 })).toBe(0);
    expect(scoreCandidate(host, { bytes: 128 * GiB, vcpus: 64 }, null, 1)).toBe(0);
  });

  it('ranks by verdict before score, then by score, then by URI', () => {
    const ranked = [
      { uri: 'c', verdict: 'blocked' as const, score: 99 },
      { uri: 'b', verdict: 'allowed-with-warnings' as const, score: 90 },
      { uri: 'a2', verdict: 'allowed' as const, score: 10 },
      { uri: 'a1', verdict: 'allowed' as const, score: 10 },
      { uri: 'a3', verdict: 'allowed' as const, score: 50 },
    ].sort(byRank);
    expect(ranked.map((r) => r.uri)).toEqual(['a3', 'a1', 'a2', 'b', 'c']);
  });
});

describe('pmc place on the test driver', () => {
  /** guest1 of host-a is allowed with warnings on host-c once these are skipped (the test driver cannot answer them). */
  const SKIP_TO_C = 'domain.job,platform.supported,memory.available,storage.shared';
  /** host-c spelled as a user may type it; libvirt's getURI() says test:///…/host-c.xml. */
  const hostCTyped = `test:${fixturePath('host-c.xml')}`;

  it('prints the placement as JSON (docs/place.schema.json), candidates named as typed, and exits 0 when one allows it', async () => {
    const { code, stdout, stderr } = await runPmc([
      '-c',
      fixtureUri('host-a'),
      'place',
      '--live',
      '--json',
      '--skip-check',
      SKIP_TO_C,
      'guest1',
      fixtureUri('host-b'),
      hostCTyped,
    ]);
    const placement = parsePlacement(stdout);
    expect(placement.candidates.map((c) => [c.uri, c.verdict])).toEqual([
      [hostCTyped, 'allowed-with-warnings'],
      [fixtureUri('host-b'), 'blocked'],
    ]);
    expect(placement.best).toBe(hostCTyped);
    expect(code, stderr).toBe(0);
  });

  it('--strict: a candidate with a failing warning is no best; exit 2', async () => {
    const args = ['-c', fixtureUri('host-a'), 'place', '--live', '--json', '--skip-check', SKIP_TO_C];
    const { code, stdout } = await runPmc([...args, '--strict', 'guest1', hostCTyped]);
    const placement = parsePlacement(stdout);
    expect(placement.candidates.map((c) => c.verdict)).toEqual(['blocked']);
    expect(placement.best).toBeNull();
    expect(code).toBe(2);
  });

  it('exits 2 when every candidate is blocked, and prints the ranking for people', async () => {
    const { code, stdout } = await runPmc([
      '-c',
      fixtureUri('host-a'),
      'place',
      '--live',
      'guest1',
      fixtureUri('host-b'),
    ]);
    expect(code).toBe(2);
    expect(stdout).not.toContain('\u001b[');
    expect(stdout).toMatch(/^Domain guest1: 1 candidate, best first$/m);
    expect(stdout).toMatch(/^1\. .*host-b\.xml\): blocked, score [\d.]+$/m);
    expect(stdout).toMatch(/^ {3}FAIL +critical +storage\.shared /m);
    expect(stdout).toMatch(/^Best: none/m);
  });

  it('exits 1 for an unknown domain or a missing candidate', async () => {
    const unknown = await runPmc(['-c', 'test:///default', 'place', 'nope', fixtureUri('host-b')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^pmc: error: domain 'nope' not found/);
    const missing = await runPmc(['-c', 'test:///default', 'place', 'test']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^pmc: error: missing required argument 'desturi'/);
  });

  it('refuses a candidate twice, the source as a candidate, and options of one destination or of a migration', async () => {
    const [a, b, c] = [fixtureUri('host-a'), fixtureUri('host-b'), fixtureUri('host-c')];
    const refusals: [string[], string][] = [
      [[b, b], `the candidate ${b} is given twice`],
      [[a, b], `the candidate ${a} is the source (-c)`],
      [['--migrateuri', 'tcp://10.0.0.2', b, c], "--migrateuri names one destination's particulars"],
      [['--listen-address', '10.0.0.2', b, c], "--listen-address names one destination's particulars"],
      [['--live', '--timeout', '5', b], '--timeout acts on a running migration: place migrates nothing'],
    ];
    for (const [args, message] of refusals) {
      const uris = args.filter((x) => x.startsWith('test:'));
      const options = args.filter((x) => !x.startsWith('test:'));
      const { code, stdout, stderr } = await runPmc(['-c', a, 'place', ...options, 'guest1', ...uris]);
      expect([code, stdout]).toEqual([1, '']);
      expect(stderr).toMatch(new RegExp(`^pmc: error: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
    // With one candidate, its migration URI is that candidate's: taken.
    const one = await runPmc(['-c', a, 'place', '--live', '--migrateuri', 'tcp://10.0.0.2', 'guest1', b]);
    expect(one.code).toBe(2);
  });

  it('--help explains every option it takes, hides the refused ones, and gives examples and exit codes', async () => {
    const { stdout } = await runPmc(['place', '--help']);
    expect(stdout).toMatch(/Exit codes: 0 some candidate allows it, 2 none does, 1 other error, 130\s+interrupted/);
    expect(stdout).toMatch(/^Examples:\n {2}pmc -c /m);
    expect(stdout).toMatch(/--strict +failing warnings block too/);
    expect(stdout).toMatch(/--json +print the placement as JSON\s+\(docs\/place\.schema\.json\)/);
    expect(stdout).not.toMatch(/^ +--(timeout|timeout-suspend|verbose) /m);
  });
});

describe('docs/place.schema.json', () => {
  it('takes its check definition from report.schema.json through $ref, and so refuses what that refuses', () => {
    const place = readSchema('place.schema.json') as { definitions: Record<string, unknown> };
    expect(Object.keys(place.definitions)).not.toContain('check');
    expect(JSON.stringify(place)).toContain('"$ref":"report.schema.json#/definitions/check"');
    const check = { name: 'a.b', severity: 'critical', status: 'pass', message: '', durationMs: 1, origin: 'builtin' };
    const placement = (c: object) => ({
      version: 1,
      domain: 'vm',
      best: null,
      candidates: [{ uri: 'qemu:///system', hostname: 'h', verdict: 'blocked', score: 0, checks: [c] }],
    });
    expect(validate(placement(check)), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(placement({ ...check, origin: 'elsewhere' }))).toBe(false);
    expect(validate(placement({ ...check, extra: 1 }))).toBe(false);
  });
});
