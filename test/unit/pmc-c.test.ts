import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The C core's own test program (test/native/pmc_test.c), built by node-gyp
// next to the addon. It runs on libvirt's test driver and checks itself.
const binary = fileURLToPath(new URL('../../build/Release/pmc_test', import.meta.url));

describe('C core (native/pmc) self-test', () => {
  it('passes every case', () => {
    expect(existsSync(binary), `${binary} is missing: run npx node-gyp rebuild`).toBe(true);
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
