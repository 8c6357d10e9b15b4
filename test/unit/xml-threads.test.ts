import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nativeTestProgram } from '../helpers/native-tests.js';

// The native check runner will evaluate XPath on its own threads: a small
// program (test/native/xpath_threads.cc, linked with the Node-free pmc_cxx
// library by the global setup) does so from 4 threads.
describe('the XML core off the JS thread', () => {
  it('evaluates over one shared document from several threads', () => {
    const run = spawnSync(nativeTestProgram('xpath_threads'), { encoding: 'utf8', timeout: 50_000 });
    expect(run.error).toBeUndefined();
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('failures: 0\n');
    expect(run.status).toBe(0);
  });
});
