/**
 * Evacuation on libvirt's test driver (crafted hosts in test/fixtures): plans
 * and reports match docs/evacuate.schema.json, a saved plan is re-checked and
 * executed, a re-check that blocks falls back along the ranking, an abort
 * starts nothing, plan files are hostile input. The test driver cannot
 * migrate: an allowed guest's migration is attempted and fails, which is the
 * failure path; real migrations are in test/e2e/evacuate.test.ts.
 */
import { openSync, closeSync, ftruncateSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { evacuate, parseEvacuation, returnPlans, type EvacuationPlan, type EvacuationReport } from '../../src/index.js';
import { evacuationExitCode } from '../../src/cli/commands/evacuate.js';
import { migrationReason } from '../../src/fleet/evacuate.js';
import { runPmc } from '../helpers/cli.js';
import { fixturePath, fixtureUri } from '../helpers/fixtures.js';
import { useTempDirPerTest } from '../helpers/temp-dir.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const schema = JSON.parse(readFileSync(path.join(root, 'docs', 'evacuate.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

function valid<T>(value: unknown): T {
  if (!validate(value))
    throw new Error(`not of docs/evacuate.schema.json: ${JSON.stringify(validate.errors, null, 2)}`);
  return value as T;
}

const hostA = fixtureUri('host-a');
const hostB = fixtureUri('host-b');
const hostC = fixtureUri('host-c');
/** What blocks guest1 on host-c (the test driver's job, platform and memory answers, its local disk). */
const SKIP_TO_C = ['domain.job', 'platform.supported', 'memory.available', 'storage.shared'];

/** `pmc -c SOURCE evacuate --live --plan-only --json --domain guest1 ARGS…`: a plan for guest1 alone. */
function planGuest1Only(source: string, ...args: string[]) {
  return runPmc(['-c', source, 'evacuate', '--live', '--plan-only', '--json', '--domain', 'guest1', ...args]);
}

/** The plan of `pmc evacuate --plan-only --json` for host-a, with guest1 sent to `first` then host-c (a hand edit). */
async function planGuest1(first: string): Promise<EvacuationPlan> {
  const { stdout, code } = await planGuest1Only(hostA, hostB, hostC);
  expect(code).toBe(2);
  const plan = valid<EvacuationPlan>(JSON.parse(stdout));
  const guest = plan.guests[0]!;
  guest.destination = first;
  guest.verdict = 'allowed';
  guest.ranking = [first, hostC]
    .filter((u, i, all) => all.indexOf(u) === i)
    .map((uri) => ({ uri, verdict: 'allowed', score: 1 }));
  plan.options.skip = SKIP_TO_C;
  return plan;
}

describe('pmc evacuate on the test driver', () => {
  const tmp = useTempDirPerTest('pmc-evacuate-');

  it('--plan-only --json: a plan of the schema; guests no candidate allows stay, with the checks that block them; exit 2', async () => {
    const { stdout, code } = await runPmc(['-c', hostA, 'evacuate', '--live', '--plan-only', '--json', hostB, hostC]);
    expect(code).toBe(2);
    const plan = valid<EvacuationPlan>(JSON.parse(stdout));
    expect(plan.guests.map((g) => g.domain).sort()).toEqual(['guest-big', 'guest1']);
    for (const g of plan.guests) {
      expect(g.destination).toBeNull();
      expect(g.migration.attempted).toBe(false);
      expect(g.reason).toMatch(/memory\.available/);
    }
  });

  it('--plan: a saved plan is re-checked and executed; a migration the driver refuses fails: exit 3, the guest on the source', async () => {
    const file = path.join(tmp.path, 'plan.json');
    writeFileSync(file, JSON.stringify(await planGuest1(hostC)));
    // The test driver's fixture paths are beyond the rule for files: typed here too, they are vouched for.
    const { stdout, stderr, code } = await runPmc(['-c', hostA, 'evacuate', '--plan', file, '--json', hostB, hostC]);
    expect(stderr).toBe('');
    expect(code).toBe(3);
    const report = valid<EvacuationReport>(JSON.parse(stdout));
    const guest = report.guests[0]!;
    expect(guest.destination).toBe(hostC);
    expect(guest.verdict).not.toBe('blocked');
    expect(guest.migration.attempted).toBe(true);
    expect(guest.migration.succeeded).toBe(false);
    expect(guest.migration.error?.code).toMatch(/^VIR_ERR_/);
    expect(guest.domainLocation).toBe('source');
  });

  it('a re-check that blocks the planned destination tries the next allowed candidate of the ranking', async () => {
    // host-b has no network 'prod': network.present blocks guest1 there, which the plan did not know.
    const report = await evacuate(await planGuest1(hostB));
    valid(report);
    const guest = report.guests[0]!;
    expect(guest.reason).toContain(`the re-check blocked ${hostB} (`);
    expect(guest.reason).toContain('network.present');
    expect(guest.destination).toBe(hostC);
    expect(guest.migration.attempted).toBe(true);
  });

  it('blocked on every candidate at execution: not moved, verdict blocked, the reasons of each; exit 2', async () => {
    const plan = await planGuest1(hostB);
    plan.guests[0]!.ranking = [{ uri: hostB, verdict: 'allowed', score: 1 }];
    const report = await evacuate(plan);
    const guest = report.guests[0]!;
    expect(guest.verdict).toBe('blocked');
    expect(guest.reason).toMatch(/^the re-check blocked every allowed candidate: .*network\.present/);
    expect(guest.migration.attempted).toBe(false);
    expect(guest.domainLocation).toBe('source');
    expect(evacuationExitCode([report])).toBe(2);
  });

  it("a plan's guest name must be its UUID's: a plan naming another guest moves nothing", async () => {
    const plan = await planGuest1(hostC);
    plan.guests[0]!.domain = 'innocent-vm';
    const report = await evacuate(plan);
    const guest = report.guests[0]!;
    expect(guest.migration.attempted).toBe(false);
    expect(guest.reason).toBe(
      `not moved: the source's guest ${guest.uuid} is named guest1, not innocent-vm as the plan says`,
    );
    expect(guest.domainLocation).toBe('source');
  });

  it('a plan skipping a check this run does not have is refused before anything is dialled', async () => {
    const plan = await planGuest1(hostC);
    plan.options.skip = [...SKIP_TO_C, 'no.such.check'];
    await expect(evacuate(plan, { connect: () => Promise.reject(new Error('dialled')) })).rejects.toThrow(
      /the plan skips no\.such\.check: no such check in this run/,
    );
    const file = path.join(tmp.path, 'plan.json');
    writeFileSync(file, JSON.stringify(plan));
    const { code, stdout, stderr } = await runPmc(['-c', hostA, 'evacuate', '--plan', file, hostB, hostC]);
    expect([code, stdout]).toEqual([1, '']);
    expect(stderr).toMatch(/^pmc: error: .*the plan skips no\.such\.check/);
  });

  it('an aborted evacuation starts nothing and says where every guest is', async () => {
    const controller = new AbortController();
    controller.abort();
    const report = await evacuate(await planGuest1(hostC), { signal: controller.signal });
    valid(report);
    expect(report.cancelled).toBe(true);
    expect(report.guests[0]!.migration.attempted).toBe(false);
    expect(report.guests[0]!.reason).toMatch(/interrupted/);
    expect(report.guests[0]!.domainLocation).toBe('source');
    expect(evacuationExitCode([report])).toBe(130);
  });

  it('--strict: warnings block in the plan and at the re-check of a saved plan', async () => {
    const args = ['-c', hostA, 'evacuate', '--live', '--plan-only', '--json', '--domain', 'guest1'];
    const skip = ['--skip-check', SKIP_TO_C.join(',')];
    // host-c allows guest1 with the convergence warning (no bandwidth known); the test driver has no free memory figure.
    const lenient = valid<EvacuationPlan>(JSON.parse((await runPmc([...args, ...skip, hostC])).stdout));
    expect(lenient.guests[0]!.reason).toMatch(/^capacity: the checks allow /);
    const strict = valid<EvacuationPlan>(JSON.parse((await runPmc([...args, ...skip, '--strict', hostC])).stdout));
    expect(strict.guests[0]!.reason).toBe(`blocked by checks on every candidate: ${hostC}: migration.convergence`);
    expect(strict.options.strict).toBe(true);

    // A saved plan (made without --strict) executed with --strict: the re-check blocks, nothing is attempted.
    const file = path.join(tmp.path, 'plan.json');
    writeFileSync(file, JSON.stringify(await planGuest1(hostC)));
    const { stdout, code } = await runPmc([
      '-c',
      hostA,
      'evacuate',
      '--plan',
      file,
      '--json',
      '--strict',
      hostB,
      hostC,
    ]);
    const guest = valid<EvacuationReport>(JSON.parse(stdout)).guests[0]!;
    expect(guest.migration.attempted).toBe(false);
    expect(guest.reason).toMatch(/^the re-check blocked every allowed candidate: .*migration\.convergence/);
    expect(code).toBe(2);
  });

  it('names hosts as typed in the plan, --plan takes -c only as the plan spells it', async () => {
    // libvirt's getURI() says test:///…; the plan keeps what the user wrote.
    const [aTyped, cTyped] = [`test:${fixturePath('host-a.xml')}`, `test:${fixturePath('host-c.xml')}`];
    const { stdout } = await planGuest1Only(aTyped, '--skip-check', SKIP_TO_C.join(','), hostB, cTyped);
    const plan = valid<EvacuationPlan>(JSON.parse(stdout));
    expect([plan.source, plan.candidates]).toEqual([aTyped, [hostB, cTyped]]);
    expect(plan.guests[0]!.ranking.map((r) => r.uri)).toEqual([cTyped, hostB]);
    const file = path.join(tmp.path, 'plan.json');
    writeFileSync(file, stdout);
    const other = await runPmc(['-c', hostA, 'evacuate', '--plan', file, aTyped, hostB, cTyped]);
    expect([other.code, other.stderr]).toEqual([
      1,
      `pmc: error: --plan: the plan evacuates ${aTyped}, not ${hostA} (-c)\n`,
    ]);
    // As typed, -c is taken (the plan's guest has no destination: nothing to do, exit 2).
    expect((await runPmc(['-c', aTyped, 'evacuate', '--plan', file, hostB, cTyped])).code).toBe(2);
    // A report drives the return trip home, to its source: -c must name that home too.
    const back = await runPmc(['-c', hostB, 'evacuate', '--return', file, '--plan-only', aTyped, cTyped]);
    expect([back.code, back.stderr]).toEqual([
      1,
      `pmc: error: --return: the report evacuated ${aTyped}, not ${hostB} (-c)\n`,
    ]);
    expect(await runPmc(['-c', aTyped, 'evacuate', '--return', file, '--plan-only', hostB, cTyped])).toMatchObject({
      code: 0,
      stdout: 'Return trip: no guest to bring home\n',
    });
  });

  it('a saved plan whose guest is gone: not attempted, said so, exit 2', async () => {
    const plan = await planGuest1(hostC);
    plan.guests[0]!.uuid = '00000000-0000-4000-8000-00000000dead';
    const report = await evacuate(plan);
    valid(report);
    const guest = report.guests[0]!;
    expect([guest.migration.attempted, guest.reason, guest.domainLocation]).toEqual([
      false,
      'no longer on the source',
      'unknown',
    ]);
    expect(evacuationExitCode([report])).toBe(2);
  });

  it('the reason of a migration an abort came too late for (post-copy) says it finished there', () => {
    const migration = { attempted: true, succeeded: true, durationMs: 9, error: null };
    expect(migrationReason('qemu+ssh://h2/system', { cancelled: true, migration })).toBe(
      'migrated to qemu+ssh://h2/system: interrupted too late (in post-copy, or completing), it finished there',
    );
    expect(migrationReason('u', { cancelled: true, migration: { ...migration, succeeded: false } })).toBe(
      'interrupted',
    );
    expect(migrationReason('u', { migration }, ['v (x)'])).toBe('the re-check blocked v (x); migrated to u');
  });

  it('exit codes: the first of 130, 3, 2 wins', async () => {
    const plan = await planGuest1(hostC);
    const guest = plan.guests[0]!;
    const moved = {
      ...guest,
      migration: { attempted: true, succeeded: true, durationMs: 5, error: null },
      domainLocation: 'destination' as const,
    };
    const failed = {
      ...guest,
      migration: {
        attempted: true,
        succeeded: false,
        durationMs: 5,
        error: { code: 'VIR_ERR_OPERATION_FAILED', domain: 'VIR_FROM_QEMU', message: 'x' },
      },
    };
    const stayed = { ...guest, destination: null };
    const of = (...guests: (typeof guest)[]) => evacuationExitCode([{ ...plan, guests }]);
    expect(of(moved)).toBe(0);
    expect(of(moved, stayed)).toBe(2);
    expect(of(stayed, failed)).toBe(3);
    expect(evacuationExitCode([{ ...plan, guests: [failed, stayed], cancelled: true }])).toBe(130);
  });

  it('--return: one plan per host the moved guests went to, each back to the source; guests not moved stay out', async () => {
    const plan = await planGuest1(hostC);
    const g = plan.guests[0]!;
    const movedTo = (domain: string, uuid: string, destination: string) => ({
      ...g,
      domain,
      uuid,
      destination,
      migration: { attempted: true, succeeded: true, durationMs: 1, error: null },
      domainLocation: 'destination' as const,
    });
    const report: EvacuationReport = {
      ...plan,
      guests: [
        movedTo('a', '00000000-0000-0000-0000-00000000000a', hostB),
        movedTo('b', '00000000-0000-0000-0000-00000000000b', hostC),
        movedTo('c', '00000000-0000-0000-0000-00000000000c', hostB),
        { ...g, domain: 'stayed', destination: null },
      ],
    };
    const plans = returnPlans(report);
    for (const p of plans) valid(p);
    expect(plans.map((p) => [p.source, p.candidates, p.guests.map((x) => x.domain)])).toEqual([
      [hostB, [hostA], ['a', 'c']],
      [hostC, [hostA], ['b']],
    ]);
    for (const p of plans)
      for (const x of p.guests) expect([x.destination, x.migration.attempted]).toEqual([hostA, false]);
  });
});

describe('plan files are hostile input', () => {
  const tmp = useTempDirPerTest('pmc-evacuate-hostile-');

  async function refused(content: string | ((file: string) => void), message: RegExp): Promise<void> {
    const file = path.join(tmp.path, 'plan.json');
    if (typeof content === 'string') writeFileSync(file, content);
    else content(file);
    const { code, stdout, stderr } = await runPmc(['-c', hostA, 'evacuate', '--plan', file, hostB, hostC]);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(code).toBe(1);
  }

  it('not JSON, too large, not a regular file (a directory, a symlink to /dev/zero)', async () => {
    symlinkSync('/dev/zero', path.join(tmp.path, 'zero.json'));
    const zero = await runPmc(['evacuate', '--plan', path.join(tmp.path, 'zero.json')]);
    expect([zero.code, zero.stderr]).toEqual([1, expect.stringMatching(/zero\.json is not a regular file/)]);
    await refused('{"version":1,', /--plan: .* is not JSON/);
    await refused((file) => {
      const fd = openSync(file, 'w');
      ftruncateSync(fd, 16 * 1024 * 1024 + 1); // sparse: nothing is written
      closeSync(fd);
    }, /is larger than 16777216 bytes/);
    const { code, stderr } = await runPmc(['evacuate', '--plan', tmp.path]);
    expect([code, stderr]).toEqual([1, expect.stringMatching(/is not a regular file/)]);
  });

  it('another version, a wrong field, an option a plan cannot hold, a guest twice', async () => {
    const plan = await planGuest1(hostC);
    await refused(JSON.stringify({ ...plan, version: 2 }), /plan\.version must be 1/);
    await refused(
      JSON.stringify({ ...plan, guests: [{ ...plan.guests[0], uuid: '../x' }] }),
      /plan\.guests\[0\]\.uuid must be a UUID/,
    );
    await refused(
      JSON.stringify({ ...plan, options: { plugins: ['/tmp/evil.so'] } }),
      /plan\.options\.plugins is not an option of a plan/,
    );
    await refused(JSON.stringify({ ...plan, options: { bandwidth: 'fast' } }), /plan\.options are invalid/);
    await refused(JSON.stringify({ ...plan, guests: [plan.guests[0], plan.guests[0]] }), /names a guest twice/);
    expect(() => parseEvacuation([])).toThrow(/plan must be an object/);
  });

  it('hosts a plan may not name, and options that would send every guest to one host, are refused before any connection', async () => {
    const plan = await planGuest1(hostC);
    const guest = plan.guests[0]!;
    const cases: [unknown, RegExp][] = [
      [{ ...plan, source: '' }, /plan\.source is empty/],
      [{ ...plan, source: 'qemu+ext:///system?command=/tmp/evil' }, /plan\.source uses the ext transport/],
      [{ ...plan, candidates: ['qemu+ssh://h/system?command=/tmp/evil'] }, /candidates\[0\] sets command=/],
      [{ ...plan, candidates: [...plan.candidates, plan.source] }, /candidates\[2\] is the source/],
      [
        { ...plan, guests: [{ ...guest, destination: 'qemu+tcp://elsewhere/system' }] },
        /destination is not a candidate/,
      ],
      [
        {
          ...plan,
          guests: [{ ...guest, ranking: [{ uri: 'qemu+tcp://elsewhere/system', verdict: 'allowed', score: 1 }] }],
        },
        /ranking\[0\]\.uri is not a candidate/,
      ],
      [
        { ...plan, options: { ...plan.options, p2p: true, destinationUri: hostC } },
        /options\.destinationUri names one destination/,
      ],
      [{ ...plan, options: { ...plan.options, destName: 'x' } }, /options\.destName names one guest/],
    ];
    for (const [value, message] of cases) await refused(JSON.stringify(value), message);
  });

  it('options that name one migration are refused before any connection', async () => {
    const r1 = await runPmc(['-c', hostA, 'evacuate', '--migrateuri', 'tcp://x', hostB]);
    expect([r1.code, r1.stderr]).toEqual([1, expect.stringMatching(/--migrateuri names one migration's particulars/)]);
    const r3 = await runPmc(['-c', hostA, 'evacuate', '--max-parallel', '0', hostB]);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(/--max-parallel/);
    const r4 = await runPmc(['-c', hostA, 'evacuate']);
    expect([r4.code, r4.stderr]).toEqual([1, expect.stringMatching(/missing destination URIs/)]);
  });

  it('hostile command lines: a candidate twice, the source among them, bounds, an unknown guest, options a plan file carries', async () => {
    const refusals: [string[], RegExp][] = [
      [[hostB, hostB], new RegExp(`the candidate ${hostB} is given twice`)],
      [[hostA, hostB], new RegExp(`the candidate ${hostA} is the source \\(-c\\)`)],
      [['--max-parallel', '65', hostB], /--max-parallel .* from 1 to 64/],
      [['--max-parallel', '1e9', hostB], /--max-parallel .* from 1 to 64/],
      [['--reserve-memory', '-1', hostB], /--reserve-memory .* from 0 to 8589934591\./],
      [['--reserve-memory', '8589934592', hostB], /--reserve-memory .* from 0 to 8589934591\./],
      [['--dname', 'x', hostB], /--dname names one migration's particulars/],
      [['--live', '--timeout', '5', hostB], /--timeout names one migration's particulars/],
      [
        ['--live', '--postcopy', '--postcopy-after-precopy', hostB],
        /--postcopy-after-precopy names one migration's particulars/,
      ],
      [['--domain', 'nosuch', hostB], /^pmc: error: domain 'nosuch' not found on /],
      [['--plan', 'p.json', '--skip-check', 'x'], /--plan: the file carries the migration options and skipped checks/],
    ];
    for (const [args, message] of refusals) {
      const planOnly = args.includes('--plan') ? [] : ['--plan-only'];
      const { code, stdout, stderr } = await runPmc(['-c', hostA, 'evacuate', ...planOnly, ...args]);
      expect([code, stdout, stderr]).toEqual([1, '', expect.stringMatching(message)]);
    }
    // The largest reserve is taken: nothing has room, every guest is listed with why (exit 2).
    const huge = await runPmc(['-c', hostA, 'evacuate', '--plan-only', '--reserve-memory', '8589934591', hostB]);
    expect(huge.code).toBe(2);
  });

  it('--help explains --strict and --json as evacuate means them, hides the refused options, gives examples and exit codes', async () => {
    const { stdout } = await runPmc(['evacuate', '--help']);
    expect(stdout).toMatch(/--strict +failing warnings block too: a guest goes\s+only where every check passes/);
    expect(stdout).toMatch(/--json +print the plan or report as JSON\s+\(docs\/evacuate\.schema\.json\)/);
    expect(stdout).toMatch(/Exit codes: 0 every guest moved, 2 .* 3 some migration failed, 130 interrupted/s);
    expect(stdout).toMatch(/^Examples:\n {2}pmc -c /m);
    expect(stdout).not.toMatch(
      /^ +--(migrateuri|dname|timeout|timeout-suspend|timeout-postcopy|postcopy-after-precopy|xml|listen-address) /m,
    );
  });
});
