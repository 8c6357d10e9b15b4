/**
 * `pmc lab up --hook` first runs the gate's process as the lab host's user
 * (`probeGateAs`): a gate that user cannot run would fail on every incoming
 * migration and, by default, let it in. Entries of our own stand in for the
 * gate, run as the user nobody through setpriv as the probe runs them.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeGateAs } from '../../src/cli/lab-gate.js';
import { CliError } from '../../src/errors.js';
import { DEFAULT_POLICY } from '../../src/gate/policy.js';
import { accountOf } from '../../src/lab/users.js';
import { useTempDirPerTest } from '../helpers/temp-dir.js';

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('probeGateAs', () => {
  const tmp = useTempDirPerTest('pmc-gate-probe-test-');
  const nobody = accountOf('nobody')!;

  /** A stand-in for the gate's entry: `body` as a CommonJS file in `dir` (made with `mode`). */
  function entry(dir: string, mode: number, body: string): string {
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, mode);
    const file = path.join(dir, 'gate.cjs');
    writeFileSync(file, body, { mode: 0o644 });
    return file;
  }

  it('passes a gate that ran and decided (allowed, or refused with its own lines)', () => {
    chmodSync(tmp.path, 0o755);
    const allows = entry(path.join(tmp.path, 'a'), 0o755, 'process.exit(0);');
    expect(() => probeGateAs(nobody, DEFAULT_POLICY, 'nobody', allows)).not.toThrow();
    const refuses = entry(
      path.join(tmp.path, 'r'),
      0o755,
      "process.stderr.write('pmc-gate on h: no'); process.exit(1);",
    );
    expect(() => probeGateAs(nobody, DEFAULT_POLICY, 'nobody', refuses)).not.toThrow();
  });

  it('gives the process its arguments and the definition, in a clean environment, as that user', () => {
    chmodSync(tmp.path, 0o755);
    const seen = path.join(tmp.path, 'seen');
    mkdirSync(seen, { mode: 0o777 });
    chmodSync(seen, 0o777);
    const file = entry(
      path.join(tmp.path, 'e'),
      0o755,
      `const fs = require('fs');
       fs.writeFileSync(${JSON.stringify(path.join(seen, 'out.json'))}, JSON.stringify({
         uid: process.getuid(), args: process.argv.slice(2), env: Object.keys(process.env), input: fs.readFileSync(0, 'utf8') }));`,
    );
    probeGateAs(nobody, DEFAULT_POLICY, 'nobody', file);
    const out = JSON.parse(readFileSync(path.join(seen, 'out.json'), 'utf8')) as {
      uid: number;
      args: string[];
      env: string[];
      input: string;
    };
    expect(out.uid).toBe(nobody.uid);
    expect(out.args.slice(1)).toEqual(['pmc-lab-probe', 'migrate', 'begin', '-']);
    expect(JSON.parse(out.args[0]!)).toMatchObject({ onError: DEFAULT_POLICY.onError });
    expect(out.env).toEqual(['PATH']);
    expect(out.input).toContain('<name>pmc-lab-probe</name>');
  });

  it('refuses a gate under a directory the user cannot enter, with what node said and the fix', () => {
    const hidden = entry(path.join(tmp.path, 'hidden'), 0o700, 'process.exit(0);'); // mkdtemp's 0700 above, too
    const probe = () => probeGateAs(nobody, DEFAULT_POLICY, "host-2's user", hidden);
    expect(probe).toThrow(CliError);
    expect(probe).toThrow(/host-2's user cannot run the gate .*Cannot find module.*o\+x/);
  });

  it('refuses a gate that failed itself (exit 2) or printed something other than its lines', () => {
    chmodSync(tmp.path, 0o755);
    const fails = entry(
      path.join(tmp.path, 'f'),
      0o755,
      "process.stderr.write('pmc-gate: internal error: x'); process.exit(2);",
    );
    expect(() => probeGateAs(nobody, DEFAULT_POLICY, 'nobody', fails)).toThrow(/internal error: x/);
    const odd = entry(
      path.join(tmp.path, 'o'),
      0o755,
      "process.stderr.write('EACCES: permission denied'); process.exit(1);",
    );
    expect(() => probeGateAs(nobody, DEFAULT_POLICY, 'nobody', odd)).toThrow(/EACCES/);
  });
});
