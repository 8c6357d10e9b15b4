/**
 * One host's libvirtd: a session-mode daemon run as the host's own user, in its
 * own UTS namespace (hostname) and mount namespace (a private `local` dir).
 */
import { spawn } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '../binding/connection.js';
import type { HostLayout } from './layout.js';
import { isRunning, processRef, stopProcess, uidOf, type ProcessRef } from './processes.js';
import type { Account } from './users.js';

const DAEMON_START_TIMEOUT_MS = 60_000;

/** Creates the host's tree and writes its libvirtd.conf and qemu.conf. */
export function prepareHostTree(host: HostLayout, account: Account): string {
  const dirs = [host.dir, host.runtimeDir, host.configDir, host.cacheDir, host.dataDir, host.privateLocalDir];
  const libvirtConfigDir = path.join(host.configDir, 'libvirt');
  for (const dir of [...dirs, libvirtConfigDir]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chownSync(dir, account.uid, account.gid);
  }
  const daemonConf = path.join(libvirtConfigDir, 'libvirtd.conf');
  // A distinct host UUID: libvirt refuses to migrate between hosts with the same one.
  writeFileSync(daemonConf, `host_uuid = "${host.hostUUID}"\n`);
  writeFileSync(
    path.join(libvirtConfigDir, 'qemu.conf'),
    [
      // Disjoint ranges per host and per lab: parallel migrations never fight over a port.
      `migration_port_min = ${host.libvirtPorts.min}`,
      `migration_port_max = ${host.libvirtPorts.max}`,
      // QEMU's output goes to a file: no virtlogd is spawned that `down` would not know of.
      'stdio_handler = "file"',
      '',
    ].join('\n'),
  );
  return daemonConf;
}

/**
 * Starts libvirtd for `host`. The pid we get is libvirtd's: unshare (without
 * --fork), sh and setpriv each exec the next.
 */
export function startDaemon(host: HostLayout, account: Account, daemonConf: string, localPath: string): ProcessRef {
  const log = openSync(host.logFile, 'a');
  const script = 'hostname "$1" && mount --bind "$2" "$3" && shift 3 && exec "$@"';
  const child = spawn(
    'unshare',
    [
      '--uts',
      '--mount',
      '--propagation',
      'private',
      '--',
      '/bin/sh',
      '-c',
      script,
      'pmc-lab',
      host.hostname,
      host.privateLocalDir,
      localPath,
      'setpriv',
      `--reuid=${account.uid}`,
      `--regid=${account.gid}`,
      '--init-groups',
      '--',
      'libvirtd',
      '--config',
      daemonConf,
    ],
    {
      detached: true, // its own process group: a Ctrl-C of the caller does not kill the lab behind `down`'s back
      stdio: ['ignore', log, log],
      env: {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        LANG: 'C.UTF-8',
        HOME: host.dir,
        USER: account.name,
        XDG_RUNTIME_DIR: host.runtimeDir,
        XDG_CONFIG_HOME: host.configDir,
        XDG_CACHE_HOME: host.cacheDir,
        XDG_DATA_HOME: host.dataDir,
      },
    },
  );
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start libvirtd for ${host.name} (see ${host.logFile})`);
  const ref = processRef(child.pid);
  if (!ref) throw new Error(`libvirtd for ${host.name} exited at once (see ${host.logFile})`);
  return ref;
}

function logTail(host: HostLayout): string {
  try {
    return readFileSync(host.logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}

/** Waits until the daemon answers on its socket as the expected hostname, and returns that connection. */
export async function waitForDaemon(host: HostLayout, daemon: ProcessRef): Promise<Connection> {
  const deadline = Date.now() + DAEMON_START_TIMEOUT_MS;
  for (;;) {
    if (!isRunning(daemon)) {
      throw new Error(`libvirtd for ${host.name} exited during startup:\n${logTail(host)}`);
    }
    if (existsSync(host.socket)) {
      try {
        const conn = await Connection.open(host.uri);
        const hostname = await conn.getHostname();
        if (hostname === host.hostname) return conn;
        await conn.close();
        throw new Error(`${host.socket} answers as ${hostname}, not ${host.hostname}`);
      } catch (error) {
        if (error instanceof Error && / answers as /.test(error.message)) throw error;
        // Not listening yet: retry until the deadline.
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`libvirtd for ${host.name} did not answer within ${DAEMON_START_TIMEOUT_MS / 1000} s:\n${logTail(host)}`);
    }
    await sleep(50);
  }
}

/** QEMU processes libvirt recorded for this host (its pid files), still running as the host's user. */
export function guestProcesses(host: HostLayout, uid: number): ProcessRef[] {
  const runDir = path.join(host.runtimeDir, 'libvirt', 'qemu', 'run');
  let files: string[];
  try {
    files = readdirSync(runDir).filter((f) => f.endsWith('.pid'));
  } catch {
    return [];
  }
  const refs: ProcessRef[] = [];
  for (const file of files) {
    const pid = Number(readFileSync(path.join(runDir, file), 'utf8').trim());
    const ref = Number.isInteger(pid) && pid > 0 ? processRef(pid) : null;
    if (ref && isRunning(ref) && uidOf(pid) === uid) refs.push(ref);
  }
  return refs;
}

/** Stops the daemon, then any guest it left behind (a daemon killed mid-migration leaves its QEMU running). */
export async function stopDaemon(host: HostLayout, daemon: ProcessRef | null, uid: number): Promise<void> {
  if (daemon) await stopProcess(daemon);
  for (const qemu of guestProcesses(host, uid)) await stopProcess(qemu, 2000);
}
