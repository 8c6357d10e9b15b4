/**
 * The C library's gate (`virPMCGateCheckXML`, native/lib/pmc-gate.h) asks the
 * installed gate exactly as libvirt does: the same refusal, the same lines, the
 * same journal; a gate that does not answer in time is killed and reported.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { installGate } from '../../src/gate/install.js';
import { readJournal } from '../../src/gate/journal.js';
import { nativeTestsBuildDir } from '../helpers/native-tests.js';
import { useTempDirPerTest } from '../helpers/temp-dir.js';

const program = path.join(nativeTestsBuildDir, 'gate_test');

function domainXml(devices: string): string {
  return `<domain type='qemu'><name>cvm</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os>
<devices><emulator>/bin/sh</emulator>${devices}</devices></domain>`;
}

describe('virPMCGateCheckXML', () => {
  const tmp = useTempDirPerTest('pmc-gate-c-');
  beforeAll(() => {
    // The global setup configured build-tests/; this program is built on demand only.
    execFileSync('cmake', ['--build', nativeTestsBuildDir, '-j', '2', '--target', 'gate_test'], { stdio: 'ignore' });
  }, 300_000);

  function ask(script: string, xml: string, timeoutMs = 0) {
    const file = path.join(tmp.path, 'domain.xml');
    writeFileSync(file, xml);
    return spawnSync(program, [script, file, String(timeoutMs)], { encoding: 'utf8' });
  }

  it("gives the installed gate's refusal with its lines, and its allowance", async () => {
    const journal = path.join(tmp.path, 'journal');
    const { script } = await installGate({ hooksDir: path.join(tmp.path, 'hooks'), journalDir: journal });
    const refused = ask(script, domainXml(`<serial type='pty'><log file='${tmp.path}/none/c.log'/></serial>`));
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/^refused\npmc-gate on .*: serial 0 log: directory .*\/none/);
    const allowed = ask(script, domainXml(''));
    expect([allowed.status, allowed.stdout]).toEqual([0, 'allowed\n\n']);
    expect(readJournal(journal).map((e) => [e.guest, e.verdict])).toEqual([
      ['cvm', 'refused'],
      ['cvm', 'allowed'],
    ]);
  });

  it('kills a gate that does not answer in time, and refuses what is not a gate', () => {
    const slow = path.join(tmp.path, 'slow');
    writeFileSync(slow, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const started = performance.now();
    const r = ask(slow, domainXml(''), 300);
    expect(performance.now() - started).toBeLessThan(10_000); // 300 ms asked; loose for a loaded machine
    expect([r.status, r.stdout]).toEqual([2, `error: ${slow}: did not answer in time\n`]);
    const odd = path.join(tmp.path, 'odd');
    writeFileSync(odd, '#!/bin/sh\nexit 7\n', { mode: 0o755 });
    expect(ask(odd, domainXml('')).stdout).toContain('ended without an answer');
    expect(ask('relative/gate', domainXml('')).stdout).toContain('absolute path');
  });
});
