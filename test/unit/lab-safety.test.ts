/**
 * The lab runs as root: `down` removes only what `up` created, `up` adopts no
 * existing directory, neither runs for anyone but root, and `status` says
 * plainly when no lab is up. Real directories in a temporary root; no daemon
 * is started (every case is refused, or is a lab with no host yet).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { labDown, labUp } from '../../src/lab/index.js';
import { LAB_MARKER, writeLabMarker } from '../../src/lab/root-fs.js';
import { pmcMain, runPmc } from '../helpers/cli.js';
import { useTempDirPerTest } from '../helpers/temp-dir.js';

const NOBODY = 65534;

/** Node, run as the user nobody with no groups, with these arguments. */
function nodeAsNobody(args: string[]): SpawnSyncReturns<string> {
  const who = ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups'];
  return spawnSync('setpriv', [...who, '--', process.execPath, ...args], { encoding: 'utf8' });
}

/** Whether the user nobody can read pmc's entry point in this checkout. */
function nobodyCanRun(): boolean {
  if (!isRoot) return false;
  const r = nodeAsNobody(['-e', `require('fs').accessSync(${JSON.stringify(pmcMain)}, require('fs').constants.R_OK)`]);
  if (r.status !== 0) console.warn(`[lab-safety] nobody cannot read ${pmcMain}: the run-as-nobody test is skipped`);
  return r.status === 0;
}
const isRoot = process.getuid?.() === 0;

/** A directory that looks like a lab (lab.json, a host tree) but holds no marker. */
function plantVictim(dir: string): void {
  mkdirSync(path.join(dir, 'host-1'), { recursive: true, mode: 0o700 });
  writeFileSync(
    path.join(dir, 'lab.json'),
    '{"id":"victim","hosts":[{"name":"host-1","uid":4000000,"gid":4000000,"daemon":null}]}\n',
  );
  writeFileSync(path.join(dir, 'keep'), 'precious\n');
}

/** A lab directory as `up` creates it, with no host yet. */
function realLab(root: string, id: string): string {
  const dir = path.join(root, id);
  mkdirSync(dir, { mode: 0o755 });
  writeLabMarker(dir, id);
  return dir;
}

describe.runIf(isRoot)('the lab as root', () => {
  const rootDir = useTempDirPerTest('pmc-lab-safety-');

  it('down removes a lab up created (the marker is accepted)', async () => {
    const dir = realLab(rootDir.path, 'mine');
    writeFileSync(path.join(dir, 'lab.json'), '{"id":"mine","hosts":[]}\n');
    await labDown({ id: 'mine', root: rootDir.path });
    expect(existsSync(dir)).toBe(false);
  });

  it('down refuses a directory without the marker and leaves it whole', async () => {
    const dir = path.join(rootDir.path, 'victim');
    plantVictim(dir);
    await expect(labDown({ id: 'victim', root: rootDir.path })).rejects.toThrow(
      /not a lab created by pmc lab up \(no pmc-lab\.marker\)/,
    );
    expect(existsSync(path.join(dir, 'keep'))).toBe(true);
  });

  it('down refuses a marker that is a symlink, not root’s, or copied from another directory', async () => {
    const elsewhere = realLab(rootDir.path, 'genuine');
    const dir = path.join(rootDir.path, 'victim');

    plantVictim(dir);
    symlinkSync(path.join(elsewhere, LAB_MARKER), path.join(dir, LAB_MARKER));
    await expect(labDown({ id: 'victim', root: rootDir.path })).rejects.toThrow(/not a regular file/);
    expect(existsSync(path.join(dir, 'keep'))).toBe(true);
    rmSync(dir, { recursive: true });

    // A genuine marker of this very id and path, but written for a directory since moved away.
    const moved = realLab(rootDir.path, 'victim');
    renameSync(moved, path.join(rootDir.path, 'old'));
    plantVictim(dir);
    cpSync(path.join(rootDir.path, 'old', LAB_MARKER), path.join(dir, LAB_MARKER), { preserveTimestamps: true });
    await expect(labDown({ id: 'victim', root: rootDir.path })).rejects.toThrow(/written for another directory/);
    expect(existsSync(path.join(dir, 'keep'))).toBe(true);

    chownSync(path.join(dir, LAB_MARKER), NOBODY, NOBODY);
    await expect(labDown({ id: 'victim', root: rootDir.path })).rejects.toThrow(/not root's alone/);
    expect(existsSync(path.join(dir, 'keep'))).toBe(true);
  });

  it('down refuses a lab directory another user owns, and a root reached through a symlink', async () => {
    const dir = realLab(rootDir.path, 'victim');
    writeFileSync(path.join(dir, 'keep'), 'precious\n');
    chownSync(dir, NOBODY, NOBODY);
    await expect(labDown({ id: 'victim', root: rootDir.path })).rejects.toThrow(/owned by uid 65534, not root/);
    expect(existsSync(path.join(dir, 'keep'))).toBe(true);
    chownSync(dir, 0, 0);

    const link = path.join(rootDir.path, 'link');
    mkdirSync(path.join(rootDir.path, 'real'));
    symlinkSync(path.join(rootDir.path, 'real'), link);
    const behind = realLab(link, 'victim'); // marker names <root>/link/victim: only the symlink is wrong
    writeFileSync(path.join(behind, 'keep'), 'precious\n');
    await expect(labDown({ id: 'victim', root: link })).rejects.toThrow(/is a symlink/);
    expect(existsSync(path.join(rootDir.path, 'real', 'victim', 'keep'))).toBe(true);
  });

  it('refuses a relative root or one with ..', async () => {
    await expect(labDown({ id: 'victim', root: `${rootDir.path}/../${path.basename(rootDir.path)}` })).rejects.toThrow(
      /invalid lab root/,
    );
    await expect(labDown({ id: 'victim', root: 'relative/dir' })).rejects.toThrow(/invalid lab root/);
  });

  it('up adopts no existing directory without the marker: it neither chmods nor writes there', async () => {
    const dir = path.join(rootDir.path, 'victim');
    plantVictim(dir);
    await expect(labUp({ id: 'victim', root: rootDir.path, hosts: 1 })).rejects.toThrow(
      /not a lab created by pmc lab up/,
    );
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(existsSync(path.join(dir, LAB_MARKER))).toBe(false);
    expect(existsSync(path.join(dir, 'keep'))).toBe(true);
  });

  it('up refuses another host count for a running lab, naming its count and lab down, and leaves it whole', async () => {
    const dir = realLab(rootDir.path, 'grow');
    const state =
      '{"id":"grow","hosts":[{"name":"host-1","uid":4000000,"gid":4000000,"daemon":null},' +
      '{"name":"host-2","uid":4000001,"gid":4000001,"daemon":null}]}\n';
    writeFileSync(path.join(dir, 'lab.json'), state);
    // Settled either way, so that a regression (an up that goes ahead) is still taken down.
    const outcome = await labUp({ id: 'grow', root: rootDir.path, hosts: 3 }).then(
      () => null,
      (error: unknown) => error,
    );
    if (outcome === null) await labDown({ id: 'grow', root: rootDir.path });
    expect(String(outcome)).toMatch(/lab "grow" has 2 hosts, not 3: take it down first \(pmc lab down --id grow\)/);
    expect(readFileSync(path.join(dir, 'lab.json'), 'utf8')).toBe(state);
  });

  // pmc runs as nobody here, from this checkout: only where nobody can read it
  // (a checkout in a 0700 directory, as a CI clone may be, is out of its reach).
  it.runIf(nobodyCanRun())('up and down refuse anyone but root, before touching anything', () => {
    const dir = path.join(rootDir.path, 'victim');
    plantVictim(dir);
    // A directory nobody could remove itself: only the refusal keeps it.
    chownSync(rootDir.path, NOBODY, NOBODY);
    for (const p of [dir, path.join(dir, 'host-1'), path.join(dir, 'keep'), path.join(dir, 'lab.json')])
      chownSync(p, NOBODY, NOBODY);
    for (const command of ['down', 'up']) {
      const r = nodeAsNobody([pmcMain, 'lab', command, '--id', 'victim', '--root', rootDir.path]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`pmc lab ${command} needs root`));
      expect(existsSync(path.join(dir, 'keep'))).toBe(true);
    }
  });
});

describe('pmc lab status', () => {
  it('exits 1 and says so when the lab is not up (text and JSON)', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'pmc-lab-status-'));
    try {
      const text = await runPmc(['lab', 'status', '--id', 'nolab', '--root', root]);
      expect(text.code).toBe(1);
      expect(text.stderr).toMatch(/lab "nolab" is not up \(start it with: pmc lab up --id nolab\)/);
      const json = await runPmc(['lab', 'status', '--json', '--id', 'nolab', '--root', root]);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toBeNull();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("the daemon behind a lab host's socket (issue 19 item 6)", () => {
  it('is taken for the host only when its hostname and host UUID are the host’s', async () => {
    const { Connection } = await import('../../src/index.js');
    const { notLabHost } = await import('../../src/lab/identity.js');
    const conn = await Connection.open('test:///default');
    try {
      const host = { hostname: 'pmc-lab-1-wa', hostUUID: '0f2b1c3e-0000-5000-8000-000000000001' };
      // Another daemon (here the test driver) answers with another name: lab down destroys nothing there.
      expect(await notLabHost(conn, host)).toMatch(/^it answers as host .*, not pmc-lab-1-wa$/);
      const itsName = await conn.getHostname();
      expect(await notLabHost(conn, { ...host, hostname: itsName })).toBe(
        `its host UUID is not given, not ${host.hostUUID}`,
      );
    } finally {
      await conn.close();
    }
  });
});
