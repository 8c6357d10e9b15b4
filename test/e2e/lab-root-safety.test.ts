/**
 * `pmc lab up` runs as root over trees the lab users own: a compromised daemon
 * or guest can plant symlinks there. A repeated `up` must neither write nor
 * chown through them, nor open the daemon's log through one. The shared lab's
 * daemons keep running (other files hold their pids); the restart uses a lab of its own.
 */
import {
  lchownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it } from 'vitest';
import { labDown, labUp } from '../../src/lab/index.js';
import { labLayout } from '../../src/lab/layout.js';
import { isRunning, processRef } from '../../src/lab/processes.js';
import { expectRunsOnlyOn, host } from '../helpers/lab.js';
import { useTempDirPerTest } from '../helpers/temp-dir.js';

const lab = inject('lab');
const layout = labLayout({ id: lab.id, hosts: lab.hosts.length });

/** A link owned by the lab user, as the user would have made it. */
function plantLink(target: string, at: string, uid: number): void {
  symlinkSync(target, at);
  lchownSync(at, uid, uid);
}

describe('lab up as root over the lab users’ trees', () => {
  // Outside the lab, root's alone: what a planted link would aim at (/etc, /root/.bashrc).
  const victimsDir = useTempDirPerTest('pmc-lab-victim-');

  it('writes no config file through a planted link and chowns no directory one points to', async () => {
    const h1 = layout.hosts[0]!;
    const { uid } = host(lab, 'host-1');
    const victimFile = path.join(victimsDir.path, 'bashrc');
    writeFileSync(victimFile, 'original\n', { mode: 0o600 });
    const victimDir = path.join(victimsDir.path, 'etc');
    mkdirSync(victimDir, { mode: 0o700 });

    const conf = path.join(h1.configDir, 'libvirt', 'libvirtd.conf');
    const saved = readFileSync(conf, 'utf8');
    unlinkSync(conf);
    plantLink(victimFile, conf, uid);
    renameSync(h1.cacheDir, `${h1.cacheDir}.aside`);
    plantLink(victimDir, h1.cacheDir, uid);
    try {
      await labUp({ id: lab.id });
      expect(readFileSync(victimFile, 'utf8')).toBe('original\n');
      expect(statSync(victimDir)).toMatchObject({ uid: 0, gid: 0 });
      expect(statSync(victimDir).mode & 0o777).toBe(0o700);
      // The links themselves were replaced by the user's own file and directory.
      expect(lstatSync(h1.cacheDir).isDirectory()).toBe(true);
      expect(lstatSync(h1.cacheDir).uid).toBe(uid);
      expect(lstatSync(conf).isFile()).toBe(true);
      expect(lstatSync(conf).uid).toBe(uid);
      expect(readFileSync(conf, 'utf8')).toBe(saved);
    } finally {
      rmSync(h1.cacheDir, { recursive: true, force: true });
      renameSync(`${h1.cacheDir}.aside`, h1.cacheDir);
    }
    await expectRunsOnlyOn(lab, 'lab-vm', 'host-1');
  });

  it('opens a restarted daemon’s log in a root-owned directory, never through a link in the user’s tree', async () => {
    // A one-host lab of its own: restarting a daemon of the shared lab would change a pid other files hold.
    const id = `${lab.id.slice(0, 13)}log`;
    const first = await labUp({ id, hosts: 1 });
    try {
      const [h] = labLayout({ id, hosts: 1 }).hosts;
      const [info] = first.hosts;
      const victimFile = path.join(victimsDir.path, 'bashrc');
      writeFileSync(victimFile, 'original\n', { mode: 0o600 });
      // Where the log used to be: inside the user's tree.
      const planted = path.join(h!.dir, 'libvirtd.log');
      rmSync(planted, { force: true });
      plantLink(victimFile, planted, info!.uid);
      const logDir = statSync(path.dirname(info!.logFile));
      expect(logDir.uid).toBe(0);
      expect(logDir.mode & 0o022).toBe(0); // no lab user can plant anything there
      const before = statSync(info!.logFile).size;

      const daemon = processRef(info!.pid)!;
      process.kill(info!.pid, 'SIGTERM');
      for (let i = 0; i < 400 && isRunning(daemon); i++) await sleep(25);
      expect(isRunning(daemon)).toBe(false);
      const again = await labUp({ id });

      expect(again.hosts[0]!.pid).not.toBe(info!.pid);
      expect(readFileSync(victimFile, 'utf8')).toBe('original\n');
      expect(statSync(info!.logFile).size).toBeGreaterThan(before); // the new daemon wrote its own log
    } finally {
      await labDown({ id });
    }
  });
});
