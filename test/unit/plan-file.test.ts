/**
 * The plan-file parser (src/fleet/plan-file.ts) against docs/evacuate.schema.json:
 * the parser never accepts what the schema rejects, on hand-picked cases and on
 * generated mutations of a valid plan. The parser also has rules the schema
 * cannot say (hosts a file may name, destinations among the candidates, a
 * guest once, options fleet work refuses), so it may reject more.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEvacuation } from '../../src/index.js';
import { SAVED_OPTION_KEYS } from '../../src/fleet/plan-file.js';
import { migrationOptionTable } from '../../src/options/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const schema = JSON.parse(readFileSync(path.join(root, 'docs', 'evacuate.schema.json'), 'utf8')) as {
  definitions: { evacuation: { properties: { options: { propertyNames: { enum: string[] } } } } };
};
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

const A = 'qemu+ssh://host-a/system';
const B = 'qemu+ssh://host-b/system';
const C = 'qemu+tls://host-c/system';

function plan(): Record<string, unknown> {
  return {
    version: 1,
    source: A,
    candidates: [B, C],
    options: { live: true, strict: false, skip: ['storage.shared'], timeoutMs: 5000 },
    guests: [
      {
        domain: 'vm1',
        uuid: '0f2b1c3e-0000-4000-8000-000000000001',
        offline: false,
        memoryKiB: 1048576,
        vcpus: 2,
        destination: B,
        verdict: 'allowed',
        reason: 'capacity',
        ranking: [
          { uri: B, verdict: 'allowed', score: 1.5 },
          { uri: C, verdict: 'blocked', score: -1 },
        ],
        migration: {
          attempted: true,
          succeeded: false,
          durationMs: 12.5,
          error: { code: 'X', domain: 'Y', message: 'z' },
        },
        domainLocation: 'source',
      },
    ],
  };
}

function parses(value: unknown): boolean {
  try {
    parseEvacuation(value);
    return true;
  } catch {
    return false;
  }
}

type Edit = (p: Record<string, unknown>) => void;
const guest = (p: Record<string, unknown>) => (p.guests as Record<string, unknown>[])[0]!;

describe('the plan-file parser and docs/evacuate.schema.json', () => {
  it('both take the valid plan', () => {
    expect(validate(plan()), JSON.stringify(validate.errors)).toBe(true);
    expect(parses(plan())).toBe(true);
  });

  it.each<[string, Edit]>([
    ['an unknown top-level key', (p) => (p.extra = 1)],
    ['an unknown guest key', (p) => (guest(p).extra = 1)],
    [
      'an unknown ranking key',
      (p) => ((guest(p).ranking as object[])[0] = { uri: B, verdict: 'allowed', score: 1, x: 1 }),
    ],
    ['an unknown migration key', (p) => (guest(p).migration = { ...(guest(p).migration as object), x: 1 })],
    ['an unknown option', (p) => (p.options = { plugins: ['/tmp/x.so'] })],
    ['an empty domain', (p) => (guest(p).domain = '')],
    ['a negative duration', (p) => (guest(p).migration = { ...(guest(p).migration as object), durationMs: -1 })],
    ['duplicate candidates', (p) => (p.candidates = [B, B])],
    ['an upper-case UUID', (p) => (guest(p).uuid = '0F2B1C3E-0000-4000-8000-000000000001')],
    ['a fractional vcpus', (p) => (guest(p).vcpus = 1.5)],
    ['a timeoutMs of 0', (p) => (p.options = { timeoutMs: 0 })],
  ])('both refuse %s', (_, edit) => {
    const p = plan();
    edit(p);
    expect(validate(p)).toBe(false);
    expect(parses(p)).toBe(false);
  });

  it("the schema's option names are the option table's and a plan's own", () => {
    expect(schema.definitions.evacuation.properties.options.propertyNames.enum.sort()).toEqual(
      [...SAVED_OPTION_KEYS].sort(),
    );
    for (const name of Object.keys(migrationOptionTable)) expect(SAVED_OPTION_KEYS).toContain(name);
  });

  it('on generated mutations of a plan, what the parser takes the schema takes', () => {
    const hostile = fc.oneof(
      fc.constantFrom(null, true, false, 0, -1, 1.5, '', 'x', [], {}, [B], { uri: B }, 'blocked', 2 ** 53),
      fc.string({ maxLength: 8 }),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    );
    // A mutation: a path into the plan, and a new value there (or the key removed).
    const mutation = fc.record({
      path: fc.array(
        fc.oneof(
          fc.constantFrom('guests', 'candidates', 'options', 'ranking', 'migration', 'error'),
          fc.constantFrom(
            'version',
            'source',
            'domain',
            'uuid',
            'vcpus',
            'memoryKiB',
            'destination',
            'verdict',
            'score',
            'durationMs',
            'code',
            'strict',
            'skip',
            'timeoutMs',
            'live',
            'cancelled',
            'extra',
          ),
          fc.nat(2),
        ),
        { minLength: 1, maxLength: 5 },
      ),
      value: fc.option(hostile, { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
        const p = plan();
        for (const { path: keys, value } of mutations) {
          let node: unknown = p;
          for (const key of keys.slice(0, -1)) {
            if (typeof node !== 'object' || node === null) break;
            node = (node as Record<string | number, unknown>)[key];
          }
          if (typeof node !== 'object' || node === null) continue;
          const last = keys[keys.length - 1]!;
          if (value === undefined) delete (node as Record<string | number, unknown>)[last];
          else (node as Record<string | number, unknown>)[last] = value;
        }
        if (parses(p)) expect(validate(p), JSON.stringify({ plan: p, errors: validate.errors })).toBe(true);
      }),
      { numRuns: Number(process.env.PMC_FUZZ_RUNS ?? 300) },
    );
  });
});
