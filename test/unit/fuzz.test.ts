/**
 * Property-based fuzzing of the two ways input reaches pmc from outside: the
 * command line and check files. Each case runs the real `pmc` in a subprocess,
 * so a crash (a signal), a hang or a stack trace is caught as what it is.
 *
 * Properties, for any input: pmc exits by itself within its time bound, with a
 * documented exit code (0, 1, 2, 3), never by a signal; when it fails with 1,
 * stderr is exactly one line starting `pmc: error:` (or `pmc: ` for commander's
 * own), with no stack trace.
 *
 * PMC_FUZZ_RUNS sets the number of cases per property (CI: the default, a few
 * seconds; `PMC_FUZZ_RUNS=500 npx vitest run test/unit/fuzz.test.ts` for longer).
 */
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { refusedFileUri } from '../../src/fleet/plan-uri.js';
import { runPmc, type PmcResult } from '../helpers/cli.js';
import { fixtureUri } from '../helpers/fixtures.js';

const RUNS = Number(process.env.PMC_FUZZ_RUNS ?? 15);
const SEED = process.env.PMC_FUZZ_SEED === undefined ? undefined : Number(process.env.PMC_FUZZ_SEED);
/** One pmc run against the test driver takes well under a second; a hang is far beyond. */
const CASE_TIMEOUT_MS = 20_000;

const hostA = fixtureUri('host-a');
const hostB = fixtureUri('host-b');
const dir = mkdtempSync(path.join(tmpdir(), 'pmc-fuzz-'));

async function runBounded(args: string[]): Promise<PmcResult & { ms: number }> {
  const started = performance.now();
  const run = runPmc(args);
  const timer = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`pmc ${JSON.stringify(args)} ran past ${CASE_TIMEOUT_MS} ms`)),
      CASE_TIMEOUT_MS,
    ).unref(),
  );
  const result = await Promise.race([run, timer]);
  return { ...result, ms: performance.now() - started };
}

function expectDocumentedEnd(args: string[], result: PmcResult): void {
  const context = `pmc ${JSON.stringify(args)}\nstdout: ${result.stdout.slice(0, 2000)}\nstderr: ${result.stderr.slice(0, 2000)}`;
  expect(result.signal, context).toBeNull();
  expect([0, 1, 2, 3], context).toContain(result.code);
  expect(result.stderr, context).not.toMatch(/^\s+at /m);
  if (result.code === 1) {
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines, context).toHaveLength(1);
    expect(lines[0], context).toMatch(/^pmc: /);
  }
}

/** Strings as an attacker writes them: huge, empty, signed, fractional, control characters, non-ASCII. */
const hostileText = fc
  .oneof(
    fc.constantFrom(
      '',
      ' ',
      '-1',
      '0',
      '1',
      '1.5',
      '1e309',
      'NaN',
      '0x10',
      '4294967297',
      '9007199254740993',
      '2147483648',
      '-0',
    ),
    fc.string({ maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('a\u001b[31mb', 'x\ny', 'vda,,vdb', '../../etc/passwd', '/dev/zero'),
  )
  .map((s) => s.replace(/\u0000/g, '')); // argv cannot carry NUL

const valueOptions = [
  '--bandwidth',
  '--check-timeout',
  '--link-speed',
  '--timeout',
  '--disks-port',
  '--parallel-connections',
  '--auto-converge-initial',
  '--auto-converge-increment',
  '--comp-methods',
  '--migrate-disks',
  '--dname',
  '--migrateuri',
  '--listen-address',
  '--skip-check',
  '--xml',
  '--persistent-xml',
  '--checks-file',
  '--plugin',
];
const flagOptions = [
  '--live',
  '--offline',
  '--p2p',
  '--tunnelled',
  '--persistent',
  '--undefinesource',
  '--suspend',
  '--copy-storage-all',
  '--copy-storage-inc',
  '--change-protection',
  '--unsafe',
  '--compressed',
  '--auto-converge',
  '--postcopy',
  '--abort-on-error',
  '--parallel',
  '--verbose',
  '--strict',
  '--sequential',
  '--json',
  '--no-color',
  '--pmc',
  '--direct',
  '--bogus',
];

const argument = fc.oneof(
  fc.tuple(fc.constantFrom(...valueOptions), hostileText).map(([o, v]) => [o, v]),
  fc.constantFrom(...flagOptions).map((f) => [f]),
  hostileText.map((v) => [v]),
);

describe('fuzz: the command line', () => {
  it(
    'pmc check|migrate|checks with any options ends with a documented code and at most one error line',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('check', 'migrate', 'checks'),
          fc.array(argument, { maxLength: 6 }),
          fc.constantFrom([], ['guest1', hostB], ['guest1'], [hostB]),
          async (command, options, positional) => {
            const args = ['-c', hostA, command, ...options.flat(), ...positional];
            expectDocumentedEnd(args, await runBounded(args));
          },
        ),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    },
    RUNS * CASE_TIMEOUT_MS,
  );
});

/**
 * Check files as an attacker writes them: deep, entity-laden, malformed,
 * oversized. Each part is mostly valid, so that one hostile part at a time
 * gets past the parser and the schema to the stage it attacks.
 */
const usually = <T>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: hostile, weight: 1 });
const hostileExpression = fc.oneof(
  fc.constantFrom('true()', 'count($domain//disk) = 0', '$nope', 'count(', ')', '//*[', 'string($domain)'),
  fc.integer({ min: 45_000, max: 120_000 }).map((depth) => `${'('.repeat(depth)}1${')'.repeat(depth)}`),
  fc.integer({ min: 45_000, max: 120_000 }).map((depth) => `${'-'.repeat(depth)}1`),
  fc.integer({ min: 1, max: 20_000 }).map((n) => Array.from({ length: n }, () => '1').join(' + ')),
  fc.string({ maxLength: 40 }),
);
const severity = usually(
  fc.constantFrom('critical', 'warning', 'info'),
  fc.oneof(fc.constantFrom(' warning', 'WARNING', ''), fc.string({ maxLength: 8 })),
);
const name = usually(
  fc.constantFrom('site.a', 'site.b-c', 'x.y'),
  fc.oneof(fc.constantFrom('site.', '.x', 'a', 'site.a\u0007', 'cpu.compatible'), fc.string({ maxLength: 12 })),
);
const prologue = usually(
  fc.constantFrom('', '<?xml version="1.0"?>'),
  fc.constantFrom(
    '<!DOCTYPE checks [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
    '<!DOCTYPE checks SYSTEM "file:///etc/passwd">',
    '<!DOCTYPE checks [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
  ),
);

/** fast-check prints a failing case: keep a 100 KB file to its head and tail. */
function shortPrinted(text: string): { text: string; [fc.toStringMethod]: () => string } {
  const shown = text.length > 400 ? `${text.slice(0, 200)}…(${text.length} chars)…${text.slice(-150)}` : text;
  return { text, [fc.toStringMethod]: () => JSON.stringify(shown) };
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

const checkFile = fc
  .tuple(
    prologue,
    fc.array(fc.tuple(name, severity, hostileExpression, usually(fc.constant(false), fc.constant(true))), {
      minLength: 1,
      maxLength: 3,
    }),
    usually(fc.constant(false), fc.constant(true)),
  )
  .map(([head, checks, truncate]) => {
    const body = checks
      .map(
        ([n, s, test, useEntity]) =>
          `<check name="${escapeAttr(n)}" severity="${escapeAttr(s)}"><description>${useEntity ? '&c;' : 'd'}</description>` +
          `<assert test="${escapeAttr(test)}">m</assert></check>`,
      )
      .join('');
    const text = `${head}<checks>${body}</checks>`;
    return shortPrinted(truncate ? text.slice(0, Math.floor(text.length / 2)) : text);
  });

describe('fuzz: check files', () => {
  it(
    'pmc checks --checks-file F with any file ends with a documented code and at most one error line',
    async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(checkFile, async ({ text }) => {
          const file = path.join(dir, `case-${n++}.xml`);
          writeFileSync(file, text);
          const args = ['checks', '--checks-file', file];
          const result = await runBounded(args);
          expectDocumentedEnd(args, result);
          expect([0, 1]).toContain(result.code);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    },
    RUNS * CASE_TIMEOUT_MS,
  );
});

/**
 * Host URIs as a hostile plan file writes them: libvirt reads parameter names
 * without case, splits at `;` as well as `&`, and percent-decodes names and
 * values (virURIParseParams), so `command=` hides as `CoMmAnD=`, `%63ommand=`
 * or behind `a=b;`.
 */
const hexCase = fc.boolean().map((upper) => (hex: string) => (upper ? hex.toUpperCase() : hex.toLowerCase()));
const disguisedLetter = (letter: string) =>
  fc.tuple(fc.boolean(), fc.boolean(), hexCase).map(([upper, encoded, hcase]) => {
    const c = upper ? letter.toUpperCase() : letter;
    return encoded ? `%${hcase(c.charCodeAt(0).toString(16))}` : c;
  });
const disguisedCommand = fc.tuple(...[...'command'].map(disguisedLetter)).map((letters) => letters.join(''));
const otherParam = fc.oneof(
  fc.constantFrom('no_tty=1', 'a=b', 'sshauth=agent', '=x', '', 'flag', 'socket=/tmp/s', 'name=%71emu:///system'),
  fc.string({ maxLength: 6 }).map((v) => `x=${encodeURIComponent(v)}`),
);
const hostileUri = (script: string) =>
  fc
    .tuple(
      fc.constantFrom('qemu+ssh', 'QEMU+SSH', 'qemu+libssh2', 'qemu+Ssh'),
      fc.array(otherParam, { maxLength: 3 }),
      disguisedCommand,
      fc.array(otherParam, { maxLength: 2 }),
      fc.array(fc.constantFrom('&', ';'), { minLength: 6, maxLength: 6 }),
    )
    .map(([scheme, before, command, after, seps]) => {
      const parts = [...before, `${command}=${encodeURIComponent(script)}`, ...after];
      const query = parts.reduce((q, part, i) => (i === 0 ? part : `${q}${seps[i % seps.length]}${part}`), '');
      return `${scheme}://localhost/system?${query}`;
    });

describe('fuzz: host URIs in plan files', () => {
  const script = path.join(dir, 'ran.sh');
  const mark = path.join(dir, 'ran');
  writeFileSync(script, `#!/bin/sh\ntouch '${mark}'\nexit 1\n`);
  chmodSync(script, 0o755);

  it('the rule for files refuses every disguise of command= (in process, many cases)', () => {
    fc.assert(
      fc.property(hostileUri(script), (uri) => {
        expect(refusedFileUri(uri), uri).not.toBeNull();
      }),
      { numRuns: RUNS * 40, seed: SEED },
    );
  });

  it(
    'pmc evacuate --plan with such a source or candidate: refused in one line (exit 1), the program never runs',
    async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(hostileUri(script), fc.boolean(), async (uri, asSource) => {
          const safe = 'qemu+tcp://127.0.0.1:1/system';
          const file = path.join(dir, `plan-${n++}.json`);
          const plan = {
            version: 1,
            source: asSource ? uri : safe,
            candidates: [asSource ? 'qemu+tcp://127.0.0.2:1/system' : uri],
            options: {},
            guests: [],
          };
          writeFileSync(file, JSON.stringify(plan));
          const args = ['evacuate', '--plan', file];
          const result = await runBounded(args);
          expectDocumentedEnd(args, result);
          expect(result.code, uri).toBe(1);
          expect(existsSync(mark), uri).toBe(false);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    },
    RUNS * CASE_TIMEOUT_MS,
  );
});
