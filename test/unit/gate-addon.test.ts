/**
 * The gate's addon (native/gate, build/Release/pmc_gate.so): the XML part of
 * the full addon's exports and no libvirt, so that the process libvirt's hook
 * runs on every incoming migration does not load libvirt's ~55 libraries.
 * Each test runs a process of its own, as the gate is one: the dynamic loader
 * says what that process loaded.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gateAddonCandidates } from '../../src/binding/native.js';
import { hookMainPath } from '../../src/gate/install.js';
import { DEFAULT_POLICY } from '../../src/gate/policy.js';
import { useTempDirPerTest } from '../helpers/temp-dir.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const gateAddon = path.join(root, 'build', 'Release', 'pmc_gate.so');

/** What a fresh node process loads (LD_DEBUG=files: every shared object, as the dynamic loader maps it). */
function loadedFiles(stderr: string): string[] {
  return [...stderr.matchAll(/file=(\S+)\s+\[\d+\];\s+(?:needed|dynamically loaded) by/g)].map((m) => m[1]!);
}

describe('the gate addon', () => {
  const tmp = useTempDirPerTest('pmc-gate-addon-');

  it('is the first place the gate looks, and is built', () => {
    expect(gateAddonCandidates()[0]).toBe(gateAddon);
    expect(existsSync(gateAddon)).toBe(true);
  });

  it('resolves every symbol at load (RTLD_NOW) without libvirt, and exports the XML part alone', () => {
    const script = `
      const os = require('node:os');
      const m = { exports: {} };
      process.dlopen(m, ${JSON.stringify(gateAddon)}, os.constants.dlopen.RTLD_NOW);
      const maps = require('node:fs').readFileSync('/proc/self/maps', 'utf8');
      console.log(JSON.stringify({ exports: Object.keys(m.exports).sort(), libvirt: /libvirt\\.so/.test(maps) }));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      exports: [
        'XPathExpression',
        'XmlDocument',
        'XmlNode',
        'factSpecs',
        'loadCheckFile',
        'runCheckFileOnDomain',
        'setErrorClass',
        'setXmlErrorClass',
      ],
      libvirt: false,
    });
  });

  it('the full addon, by contrast, loads libvirt (the test would see it)', () => {
    const r = spawnSync(
      process.execPath,
      ['-e', `require(${JSON.stringify(path.join(root, 'build', 'Release', 'pmc.node'))})`],
      {
        encoding: 'utf8',
        env: { ...process.env, LD_DEBUG: 'files' },
      },
    );
    expect(loadedFiles(r.stderr).some((f) => /libvirt\.so/.test(f))).toBe(true);
  });

  it("the gate's process decides through it, refusing and allowing, and never loads libvirt", () => {
    const policy = JSON.stringify({ ...DEFAULT_POLICY, journalDir: path.join(tmp.path, 'journal') });
    const xml = (log: string) =>
      `<domain type='qemu'><name>gvm</name><devices><emulator>/bin/sh</emulator>` +
      `<serial type='pty'><log file='${log}'/></serial></devices></domain>`;
    const gate = (input: string) =>
      spawnSync(process.execPath, [hookMainPath(), policy, 'gvm', 'migrate', 'begin', '-'], {
        input,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, LD_DEBUG: 'files' },
      });
    const refused = gate(xml(path.join(tmp.path, 'none', 'x.log')));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('serial 0 log: directory');
    const allowed = gate(xml(path.join(tmp.path, 'x.log')));
    expect(allowed.status).toBe(0);
    for (const r of [refused, allowed]) {
      const files = loadedFiles(r.stderr);
      expect(files).toContain(gateAddon);
      expect(files.filter((f) => /libvirt\.so/.test(f))).toEqual([]);
    }
  });
});
