/**
 * The destination gate (docs/hook.md) on this machine's own files: each check
 * made to fail and to pass, the journal, the policy's error and timeout paths,
 * the install's safety, and the script libvirt runs.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { XmlDocument } from '../../src/binding/xml.js';
import { decideIncoming, gateCheckFileProblem } from '../../src/gate/decide.js';
import { runGate } from '../../src/gate/hook.js';
import {
  gateStatus,
  hookScript,
  installGate,
  policyOfScript,
  uninstallGate,
  GATE_ENTRY,
} from '../../src/gate/install.js';
import {
  appendJournal,
  JOURNAL_FILE,
  JOURNAL_MAX_BYTES,
  readJournal,
  type JournalEntry,
} from '../../src/gate/journal.js';
import { DEFAULT_POLICY, defaultJournalDir, type GatePolicy } from '../../src/gate/policy.js';
import { loadCheckFile } from '../../src/pmc/check-file.js';
import { useTempDirPerTest } from '../helpers/temp-dir.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function domainXml(devices: string, extra = ''): string {
  return `<domain type='qemu'><name>gvm</name><uuid>6f2a8c4e-0d3b-4f5a-9c1e-2b7d8e9f0a1b</uuid>
<memory unit='MiB'>64</memory>${extra}<os><type arch='x86_64'>hvm</type></os>
<devices><emulator>/bin/sh</emulator>${devices}</devices></domain>`;
}

async function problems(xml: string, files = [] as Awaited<ReturnType<typeof loadCheckFile>>[]) {
  return (await decideIncoming(XmlDocument.parse(xml), 'this-host', files)).problems;
}

const SITE_NO_HOSTDEV = `<?xml version="1.0"?>
<checks>
  <check name="site.no-hostdev" severity="critical">
    <assert test="count($domain/domain/devices/hostdev) = 0">no guest with a host device enters this host</assert>
  </check>
</checks>`;

describe('the gate decides from the definition and this host’s files', () => {
  const tmp = useTempDirPerTest('pmc-gate-');

  it('a serial log whose directory is missing refuses; with the directory it passes', async () => {
    const log = path.join(tmp.path, 'logs', 'serial.log');
    const xml = domainXml(`<serial type='pty'><log file='${log}'/></serial>`);
    const [p] = await problems(xml);
    expect(p).toMatchObject({ check: 'gate.host-path', severity: 'critical' });
    expect(p!.message).toContain(`directory ${path.dirname(log)}`);
    expect(p!.message).toContain('this-host');
    mkdirSync(path.dirname(log));
    expect(await problems(xml)).toEqual([]);
  });

  it('a connecting socket must be a listening socket file; a device must be a device node', async () => {
    const sock = path.join(tmp.path, 'vhost.sock');
    const xml = domainXml(
      `<channel type='unix'><source mode='connect' path='${sock}'/><target type='virtio' name='x'/></channel>` +
        `<serial type='dev'><source path='/dev/null'/></serial>`,
    );
    writeFileSync(sock, '');
    expect((await problems(xml)).map((p) => p.message)).toEqual([expect.stringContaining('is not a socket')]);
    const server: Server = await new Promise((resolve) => {
      const s = createServer();
      s.listen(sock + '2', () => resolve(s));
    });
    try {
      expect(await problems(xml.replace(sock, sock + '2'))).toEqual([]);
    } finally {
      server.close();
    }
    const notDevice = domainXml(`<serial type='dev'><source path='${sock}'/></serial>`);
    expect((await problems(notDevice))[0]!.message).toContain('is not a device node');
  });

  it('the emulator must exist and be executable', async () => {
    expect((await problems(domainXml('').replace('/bin/sh', '/nonexistent/qemu')))[0]).toMatchObject({
      check: 'gate.emulator',
    });
    const notExec = path.join(tmp.path, 'qemu');
    writeFileSync(notExec, '', { mode: 0o644 });
    // root may execute nothing without an x bit either (access(X_OK) needs one)
    expect((await problems(domainXml('').replace('/bin/sh', notExec)))[0]!.message).toContain('not executable');
  });

  it('a bridge interface needs a bridge of that name; lo is not one', async () => {
    const iface = (br: string) => domainXml(`<interface type='bridge'><source bridge='${br}'/></interface>`);
    expect((await problems(iface('lo')))[0]!.message).toContain('is an interface but not a bridge');
    expect((await problems(iface('nobr0')))[0]!.message).toContain('bridge nobr0 does not exist');
    expect((await problems(iface('../lo')))[0]!.message).toContain('not an interface name');
  });

  it('a bridge of that name lets the guest in (a bridge made in a network namespace of its own)', () => {
    // Its own network and mount namespaces, with sysfs mounted again: /sys/class/net shows the new bridge
    // there and nowhere else; the gate runs as `pmc hook run` does.
    const cli = path.join(root, 'dist', 'cli', 'main.js');
    const gate = (br: string) =>
      spawnSync(
        'unshare',
        [
          '--net',
          '--mount',
          'sh',
          '-c',
          `mount -t sysfs sysfs /sys && ip link add ${br} type bridge && exec "$@"`,
          'sh',
        ].concat([process.execPath, cli, 'hook', 'run', 'gvm']),
        { input: domainXml("<interface type='bridge'><source bridge='brgate0'/></interface>"), encoding: 'utf8' },
      );
    expect(gate('brgate0')).toMatchObject({ status: 0, stderr: '' });
    expect(gate('brother0')).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('bridge brgate0 does not exist'),
    });
  });

  it('huge pages: a size the host lacks refuses; one it has passes (free pages are a warning)', async () => {
    const pages = (size: string) =>
      domainXml('', `<memoryBacking><hugepages><page size='${size}' unit='KiB'/></hugepages></memoryBacking>`);
    expect((await problems(pages('4')))[0]).toMatchObject({ check: 'gate.hugepages', severity: 'critical' });
    const have = readdirSync('/sys/kernel/mm/hugepages')[0]!.replace(/^hugepages-(\d+)kB$/, '$1');
    expect((await problems(pages(have))).filter((p) => p.severity === 'critical')).toEqual([]);
  });

  it("an operator's check file refuses what it says, and lets the rest in", async () => {
    const file = path.join(tmp.path, 'site.xml');
    writeFileSync(file, SITE_NO_HOSTDEV);
    const site = await loadCheckFile(file);
    const withHostdev = domainXml(
      `<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>`,
    );
    expect(await problems(withHostdev, [site])).toEqual([
      {
        check: 'site.no-hostdev',
        severity: 'critical',
        message: expect.stringContaining('no guest with a host device'),
      },
    ]);
    expect(await problems(domainXml(''), [site])).toEqual([]);
  });

  it('a check file that reads another fact than $domain is refused for the gate', async () => {
    const file = path.join(tmp.path, 'caps.xml');
    writeFileSync(
      file,
      SITE_NO_HOSTDEV.replace('count($domain/domain/devices/hostdev) = 0', 'count($dstCaps//cpu) > 0'),
    );
    expect(gateCheckFileProblem(await loadCheckFile(file))).toContain('$dstCaps');
  });
});

describe('the verdict, the policy and the journal', () => {
  const tmp = useTempDirPerTest('pmc-gate-run-');
  const policy = (p: Partial<GatePolicy> = {}): GatePolicy => ({ ...DEFAULT_POLICY, journalDir: tmp.path, ...p });
  const missingLog = () => domainXml(`<serial type='pty'><log file='${tmp.path}/none/x.log'/></serial>`);

  it('refuses with one line per failing critical check, and journals the decision', async () => {
    const r = await runGate('gvm', Promise.resolve(missingLog()), policy());
    expect(r.exitCode).toBe(1);
    expect(r.lines).toEqual([expect.stringMatching(/^pmc-gate on .*: serial 0 log: directory .*none/)]);
    const [e] = readJournal(tmp.path);
    expect(e).toMatchObject({ guest: 'gvm', uuid: '6f2a8c4e-0d3b-4f5a-9c1e-2b7d8e9f0a1b', verdict: 'refused' });
    expect(e!.failing).toHaveLength(1);
    expect(e!.durationMs).toBeGreaterThan(0);
  });

  it('warnings pass unless strict', async () => {
    const pages = domainXml(
      '',
      `<memoryBacking><hugepages><page size='1048576' unit='KiB'/></hugepages></memoryBacking>`,
    ).replace("<memory unit='MiB'>64</memory>", "<memory unit='GiB'>1024</memory>");
    expect((await runGate('gvm', Promise.resolve(pages), policy())).exitCode).toBe(0);
    expect((await runGate('gvm', Promise.resolve(pages), policy({ strict: true }))).exitCode).toBe(1);
  });

  it('a gate that fails itself follows onError, and says so in the journal', async () => {
    for (const [onError, code] of [
      ['allow', 0],
      ['refuse', 1],
    ] as const) {
      const r = await runGate('gvm', Promise.resolve('<domain><name>x'), policy({ onError }));
      expect(r.exitCode).toBe(code);
      expect(r.entry.gateError).toMatch(/./);
    }
    const broken = path.join(tmp.path, 'broken.xml');
    writeFileSync(broken, '<checks><check name="x"');
    const r = await runGate('gvm', Promise.resolve(domainXml('')), policy({ checkFiles: [broken], onError: 'refuse' }));
    expect(r.exitCode).toBe(1);
    expect(r.lines[0]).toContain('refuses on error');
    expect(readJournal(tmp.path).map((e) => e.verdict)).toEqual(['allowed', 'refused', 'refused']);
  });

  it('never waits past its timeout: an input that never ends is decided by onError at the deadline', async () => {
    const started = performance.now();
    const r = await runGate('gvm', new Promise<string>(() => undefined), policy({ timeoutMs: 200, onError: 'refuse' }));
    expect(performance.now() - started).toBeLessThan(2000); // 200 ms asked; the bound allows for a loaded machine
    expect(r.exitCode).toBe(1);
    expect(r.entry.gateError).toContain('within 200 ms');
  });

  it('a journal that cannot be written never changes the verdict', async () => {
    const file = path.join(tmp.path, 'not-a-dir');
    writeFileSync(file, '');
    const r = await runGate('gvm', Promise.resolve(domainXml('')), policy({ journalDir: path.join(file, 'j') }));
    expect(r.exitCode).toBe(0);
    const refused = await runGate('gvm', Promise.resolve(missingLog()), policy({ journalDir: path.join(file, 'j') }));
    expect(refused.exitCode).toBe(1);
  });

  it('rotates the journal past its size, keeping the older generations readable', () => {
    const entry: JournalEntry = {
      time: new Date().toISOString(),
      host: 'h',
      guest: 'g'.repeat(900),
      uuid: '',
      verdict: 'allowed',
      failing: [],
      durationMs: 1,
      pid: 1,
    };
    const n = Math.ceil(JOURNAL_MAX_BYTES / 1000) + 10;
    for (let i = 0; i < n; i++) expect(appendJournal(tmp.path, entry)).toBeNull();
    expect(existsSync(path.join(tmp.path, `${JOURNAL_FILE}.1`))).toBe(true);
    expect(readJournal(tmp.path)).toHaveLength(n);
  });

  it("journals under /var/log/libvirt-pmc for root's daemon, the user's state directory otherwise", () => {
    expect(defaultJournalDir(0, {})).toBe('/var/log/libvirt-pmc');
    expect(defaultJournalDir(1000, { HOME: '/home/u' })).toBe('/home/u/.local/state/libvirt-pmc');
    expect(defaultJournalDir(1000, { HOME: '/home/u', XDG_STATE_HOME: '/s' })).toBe('/s/libvirt-pmc');
  });
});

describe('install, uninstall, status', () => {
  const tmp = useTempDirPerTest('pmc-gate-install-');
  const hooks = () => path.join(tmp.path, 'hooks');

  it("is idempotent, keeps the operator's own hooks, and says when the daemon must reload", async () => {
    const first = await installGate({ hooksDir: hooks() });
    expect(first).toMatchObject({ changed: true, daemonMustReload: true });
    expect(first.createdDirs).toEqual([hooks(), path.join(hooks(), 'qemu.d')]);
    expect((await installGate({ hooksDir: hooks() })).changed).toBe(false);
    writeFileSync(path.join(hooks(), 'qemu'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    writeFileSync(path.join(hooks(), 'qemu.d', 'other'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const update = await installGate({ hooksDir: hooks(), strict: true, onError: 'refuse' });
    expect(update).toMatchObject({ changed: true, daemonMustReload: false });
    expect(gateStatus(hooks())).toMatchObject({
      installed: true,
      policy: { strict: true, onError: 'refuse' },
      otherHooks: [path.join(hooks(), 'qemu'), path.join(hooks(), 'qemu.d', 'other')],
    });
    expect(uninstallGate(hooks()).removed).toBe(true);
    expect(readFileSync(path.join(hooks(), 'qemu'), 'utf8')).toContain('exit 0');
    expect(existsSync(path.join(hooks(), 'qemu.d', 'other'))).toBe(true);
    expect(gateStatus(hooks()).installed).toBe(false);
  });

  it('refuses a symlinked hook directory, a file of someone else in its place, and unsafe check files', async () => {
    mkdirSync(path.join(tmp.path, 'elsewhere'));
    mkdirSync(hooks());
    symlinkSync(path.join(tmp.path, 'elsewhere'), path.join(hooks(), 'qemu.d'));
    await expect(installGate({ hooksDir: hooks() })).rejects.toThrow(/symbolic link/);
    const other = path.join(tmp.path, 'h2');
    mkdirSync(path.join(other, 'qemu.d'), { recursive: true });
    writeFileSync(path.join(other, 'qemu.d', GATE_ENTRY), '#!/bin/sh\n', { mode: 0o755 });
    await expect(installGate({ hooksDir: other })).rejects.toThrow(/not pmc's gate/);
    expect(() => uninstallGate(other)).toThrow(/not pmc's gate/);
    const site = path.join(tmp.path, 'site.xml');
    writeFileSync(site, SITE_NO_HOSTDEV);
    chmodSync(site, 0o666);
    await expect(installGate({ hooksDir: path.join(tmp.path, 'h3'), checkFiles: [site] })).rejects.toThrow(
      /may be changed by others/,
    );
  });

  it('writes the policy into the script, and the script answers other operations at once without node', () => {
    const p: GatePolicy = { ...DEFAULT_POLICY, checkFiles: ["/etc/it's.xml"], timeoutMs: 1500 };
    const script = hookScript(p, '/nonexistent/node');
    expect(policyOfScript(script)).toEqual(p);
    for (const op of ['prepare', 'start', 'started', 'release', 'restore']) {
      const r = spawnSync('sh', ['-c', script, 'qemu', 'gvm', op, 'begin', '-'], { input: domainXml('') });
      expect(r.status).toBe(0);
    }
    // node missing: the gate failed itself, and onError (allow) decides
    expect(spawnSync('sh', ['-c', script, 'qemu', 'gvm', 'migrate', 'begin', '-'], { input: '' }).status).toBe(0);
    const refusing = hookScript({ ...p, onError: 'refuse' }, '/nonexistent/node');
    const r = spawnSync('sh', ['-c', refusing, 'qemu', 'gvm', 'migrate', 'begin', '-'], {
      input: '',
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('failed itself');
  });

  it('the installed script, run as libvirt runs it, refuses with its line on stderr and nothing on stdout', async () => {
    const journal = path.join(tmp.path, 'journal');
    const { script } = await installGate({ hooksDir: hooks(), journalDir: journal });
    const xml = domainXml(`<serial type='pty'><log file='${tmp.path}/none/x.log'/></serial>`);
    const r = spawnSync(script, ['gvm', 'migrate', 'begin', '-'], { input: xml, encoding: 'utf8', cwd: root });
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^pmc-gate on .*: serial 0 log: directory .*\/none \(for .*\) does not exist/);
    expect(r.status).toBe(1);
    const ok = spawnSync(script, ['gvm', 'migrate', 'begin', '-'], { input: domainXml(''), encoding: 'utf8' });
    expect([ok.status, ok.stdout, ok.stderr]).toEqual([0, '', '']);
    expect(readJournal(journal).map((e) => e.verdict)).toEqual(['refused', 'allowed']);
  });
});
