/**
 * The `pmc` command as operators run it: help, input errors, exit codes,
 * LIBVIRT_DEFAULT_URI, and the check listing — against libvirt's test driver.
 */
import { describe, expect, it } from 'vitest';
import { builtinChecks } from '../../src/checks/index.js';
import { colorWanted } from '../../src/cli/style.js';
import { percentDone, virshProgressLine } from '../../src/cli/progress-view.js';
import type { MigrationProgress } from '../../src/pmc/types.js';
import { runPmc, pmcOnHostA } from '../helpers/cli.js';
import { fixtureUri } from '../helpers/fixtures.js';

const hostA = fixtureUri('host-a');
const hostB = fixtureUri('host-b');

/** One clear line on stderr, no stack trace. */
function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^pmc: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe('pmc --help', () => {
  it.each([[[]], [['migrate']], [['check']], [['checks']], [['demo']]])(
    'helps, with examples: pmc %j --help',
    async (command) => {
      const { code, stdout } = await runPmc([...command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Usage: pmc/);
      expect(stdout).toContain('Examples:');
    },
  );

  it("lists virsh migrate's options and ours on migrate and check alike", async () => {
    for (const command of ['migrate', 'check']) {
      const { stdout } = await runPmc([command, '--help']);
      for (const option of [
        '--live',
        '--p2p',
        '--copy-storage-all',
        '--migrateuri',
        '--bandwidth',
        '--skip-check',
        '--json',
        '--no-color',
        '--link-speed',
        '--timeout',
        '--tls',
        '--domain',
        '--desturi',
      ]) {
        expect(stdout, `${command} ${option}`).toContain(option);
      }
    }
  });
});

describe('pmc input errors', () => {
  it('rejects an unknown option with exit 1 and one line', async () => {
    const { code, stdout, stderr } = await runPmc(['migrate', '--bogus', 'guest1', hostB]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expectOneLineError(stderr, /unknown option '--bogus'/);
  });

  it('rejects an unknown command', async () => {
    const { code, stderr } = await runPmc(['migrat']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^pmc: error: unknown command 'migrat'/);
  });

  it.each([
    ['--bandwidth', 'fast'],
    ['--bandwidth', '0'],
    ['--check-timeout', '-5'],
    ['--parallel-connections', '2.5'],
    ['--link-speed', '1e3'],
  ])('rejects a bad number: %s %s', async (option, value) => {
    const { code, stderr } = await pmcOnHostA(['check', option, value, 'guest1', hostB]);
    expect(code).toBe(1);
    expectOneLineError(stderr, new RegExp(`${option}.*'${value.replace('.', '\\.')}' is invalid`));
  });

  it('refuses --direct clearly', async () => {
    const { code, stderr } = await pmcOnHostA(['migrate', '--direct', 'guest1', hostB]);
    expect(code).toBe(1);
    expectOneLineError(stderr, /--direct is not supported/);
  });

  it.each([
    [['--live', '--offline'], /mutually exclusive/],
    [['--copy-storage-all', '--copy-storage-inc'], /mutually exclusive/],
    [['--tunnelled'], /--tunnelled needs --p2p/],
    [['--parallel-connections', '4'], /needs --parallel/],
    [['--skip-check', 'cpu.compatible'], /--skip-check needs --pmc/],
    [['--xml', '/nonexistent/dest.xml'], /--xml: cannot read \/nonexistent\/dest\.xml \(ENOENT\)/],
    [['--timeout', '30'], /--timeout needs --live/],
    [['--migrate-disks', 'vda'], /--migrate-disks needs --copy-storage-all or --copy-storage-inc/],
  ])('rejects contradictory or unreadable options: %j', async (options, pattern) => {
    const { code, stderr } = await pmcOnHostA(['migrate', ...options, 'guest1', hostB]);
    expect(code).toBe(1);
    expectOneLineError(stderr, pattern);
  });

  it.each([
    [['--domain', 'guest1', '--desturi', hostB]],
    [['--desturi', hostB, 'guest1']],
    [['--domain', 'guest1', hostB]],
    [['guest1', hostB]],
  ])('takes the domain and the destination named or positional, as virsh does: %j', async (args) => {
    const { stdout } = await pmcOnHostA(['check', '--json', ...args]);
    const report = JSON.parse(stdout) as { domain: { name: string }; destination: { uri: string } };
    expect(report.domain.name).toBe('guest1');
    expect(report.destination.uri).toBe(hostB);
  });

  it.each([
    [['--domain', 'guest1'], /missing required argument 'desturi' \(or --desturi\)/],
    [['--desturi', hostB], /missing required argument 'domain' \(or --domain\)/],
    [['--domain', 'guest1', hostB, 'tcp://b', 'extra'], /too many arguments: 'extra'/],
  ])('refuses missing or extra arguments in the named forms: %j', async (args, pattern) => {
    const { code, stderr } = await pmcOnHostA(['check', ...args]);
    expect(code).toBe(1);
    expectOneLineError(stderr, pattern);
  });

  it('rejects two different migration URIs (argument and --migrateuri)', async () => {
    const { code, stderr } = await pmcOnHostA(['migrate', '--migrateuri', 'tcp://a', 'guest1', hostB, 'tcp://b']);
    expect(code).toBe(1);
    expectOneLineError(stderr, /the migration URI is given twice/);
  });

  it('rejects extra arguments', async () => {
    const { code, stderr } = await pmcOnHostA(['check', 'guest1', hostB, 'tcp://b', 'extra']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^pmc: error: too many arguments/);
  });

  it('names an unknown domain and the host it looked on', async () => {
    const { code, stderr } = await pmcOnHostA(['check', 'no-such-guest', hostB]);
    expect(code).toBe(1);
    expectOneLineError(stderr, new RegExp(`domain 'no-such-guest' not found on ${hostA}`));
  });

  it('prints the stack only with --debug', async () => {
    const { code, stderr } = await pmcOnHostA(['check', '--debug', 'no-such-guest', hostB]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^pmc: error: domain 'no-such-guest' not found/);
    expect(stderr).toMatch(/^\s+at /m);
    expect(stderr).toContain('VIR_ERR_NO_DOMAIN');
  });

  it.each([
    ['source', ['-c', 'qemu+tcp://127.0.0.1:1/system', 'check', 'guest1', hostB]],
    ['destination', ['-c', hostA, 'check', 'guest1', 'qemu+tcp://127.0.0.1:1/system']],
  ])('says which host is unreachable: the %s', async (role, args) => {
    const { code, stderr } = await runPmc(args);
    expect(code).toBe(1);
    expectOneLineError(
      stderr,
      new RegExp(`cannot connect to the ${role} qemu\\+tcp://127\\.0\\.0\\.1:1/system: .*refused`),
    );
  });

  it('uses LIBVIRT_DEFAULT_URI when -c is absent', async () => {
    const { code, stderr } = await runPmc(['check', 'no-such-guest', hostB], { LIBVIRT_DEFAULT_URI: hostA });
    expect(code).toBe(1);
    expectOneLineError(stderr, new RegExp(`not found on ${hostA}`));
  });
});

describe('pmc checks', () => {
  it('lists every built-in check as JSON', async () => {
    const { code, stdout } = await runPmc(['checks', '--json']);
    expect(code).toBe(0);
    const listed = JSON.parse(stdout) as {
      name: string;
      severity: string;
      description: string;
      origin: string;
      anchor: string | null;
    }[];
    expect(listed.map((c) => c.name)).toEqual(builtinChecks.map((c) => c.name));
    for (const [i, check] of builtinChecks.entries()) {
      expect(listed[i]).toMatchObject({
        severity: check.severity,
        description: check.description,
        origin: 'builtin',
        anchor: check.anchor ?? null,
      });
    }
  });

  it('lists them for people, one per check, without colour off a terminal', async () => {
    const { code, stdout } = await runPmc(['checks']);
    expect(code).toBe(0);
    expect(stdout).not.toContain('\u001b[');
    for (const check of builtinChecks)
      expect(stdout).toMatch(new RegExp(`^${check.name.replace('.', '\\.')} +${check.severity}`, 'm'));
  });
});

describe('colour and progress rendering', () => {
  const terminal = { isTTY: true, hasColors: () => true } as unknown as NodeJS.WriteStream;

  it('colours a terminal unless NO_COLOR or --no-color says otherwise', () => {
    const saved = process.env.NO_COLOR;
    try {
      delete process.env.NO_COLOR;
      expect(colorWanted(terminal, undefined)).toBe(true);
      expect(colorWanted(terminal, false)).toBe(false);
      process.env.NO_COLOR = '1';
      expect(colorWanted(terminal, undefined)).toBe(false);
      expect(
        colorWanted(process.stdout.isTTY ? ({ isTTY: false } as NodeJS.WriteStream) : process.stdout, undefined),
      ).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });

  it("prints virsh's progress line", () => {
    const progress = { dataTotal: 1000, dataRemaining: 580, dataProcessed: 420 } as MigrationProgress;
    expect(percentDone(progress)).toBe(42);
    expect(virshProgressLine(42)).toBe('Migration: [ 42 %]');
    expect(virshProgressLine(100)).toBe('Migration: [100 %]');
    expect(percentDone({ ...progress, dataTotal: 0 })).toBe(0);
  });
});
