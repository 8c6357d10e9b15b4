import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nativeTestProgram } from '../helpers/native-tests.js';

// Issue 19 item 9: libvirt-pmc fetched a list's facts into the list itself,
// so two threads running one list at once read each other's (28 of 600
// verdicts wrong). test/native/check_list_threads.c runs one check file's list
// from two threads, each against its own guest of the test driver: the check
// passes for one and fails for the other.
describe('one libvirt-pmc check list run from two threads at once', () => {
  it("gives every run the verdict of its own guest's facts", () => {
    const run = spawnSync(nativeTestProgram('check_list_threads'), ['300'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.error).toBeUndefined();
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('wrong: 0 of 600\n');
    expect(run.status).toBe(0);
  });
});
