import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nativeTestProgram } from '../helpers/native-tests.js';

// The C core's own test program (test/native/pmc_test.c), linked with the
// pmc_c static library by the global setup (test/helpers/native-tests.ts).
// It runs on libvirt's test driver and checks itself.
const binary = nativeTestProgram('pmc_test');

describe('C core (native/pmc) self-test', () => {
  it('passes every case', () => {
    expect(existsSync(binary), `${binary} is missing: the global setup builds it`).toBe(true);
    const run = spawnSync(binary, [], { encoding: 'utf8', timeout: 60_000 });
    const out = `${run.stdout}${run.stderr}`;
    expect(run.error, out).toBeUndefined();
    expect(run.status, out).toBe(0);
    const last = run.stdout.trim().split('\n').at(-1) ?? '';
    expect(last, out).toMatch(/^\d+ passed, 0 failed$/);
    expect(Number(last.split(' ')[0])).toBeGreaterThanOrEqual(20);
    expect(run.stderr, 'libvirt or the core printed to stderr').toBe('');
  });
});
