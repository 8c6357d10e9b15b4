/**
 * One host's libvirtd: a session-mode daemon run as the host's own user, in its
 * own UTS namespace (hostname) and mount namespace (a private `local` dir, and
 * an /etc/hosts where its hostname resolves).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '../binding/connection.js';
import { hostCertPaths, type CertPaths } from './certs.js';
import {
  LAB_MIGRATION_ADDRESS,
  LAB_TLS_ADDRESS,
  LIBVIRT_HOOKS_DIR,
  type HostLayout,
  type LabLayout,
} from './layout.js';
import { checkRootOwnedPath, ensureOwnedDir, openAppendNoFollow, readUserFile } from './root-fs.js';
import { isRunning, processRef, stopProcess, uidOf, type ProcessRef } from './processes.js';
import type { Account } from './users.js';

const DAEMON_START_TIMEOUT_MS = 60_000;

/** `setpriv` arguments that run a command as the host's user (its uid, gid and groups). */
function asUser(account: Account): string[] {
  return ['setpriv', `--reuid=${account.uid}`, `--regid=${account.gid}`, '--init-groups', '--'];
}

/**
 * Run as the host's user inside its tree: makes the XDG dirs (replacing a link
 * or file planted in their place) and replaces each config file by rename (a
 * symlink planted there is replaced, never followed).
 * Whatever the user planted, this runs with the user's rights only.
 */
const WRITE_TREE = `set -eu
umask 077
cd -- "$1"
for d in run config config/libvirt cache data; do
  # Whatever was planted in place of a directory goes (as this user, removing a link follows nothing).
  if [ -L "$d" ] || { [ -e "$d" ] && [ ! -d "$d" ]; }; then rm -f -- "$d"; fi
  mkdir -p -- "$d"
done
put() { tmp=$(mktemp "$1.XXXXXX"); printf '%s' "$2" > "$tmp"; mv -fT -- "$tmp" "$1"; }
put config/libvirt/libvirtd.conf "$2"
put config/libvirt/qemu.conf "$3"`;

/**
 * The host's libvirtd.conf: its host UUID, and a TLS listener on loopback with the lab's
 * certificates (clients must present one the lab's CA signed).
 */
export function daemonConf(host: HostLayout, certs: CertPaths, sasl: boolean): string {
  return [
    // A distinct host UUID: libvirt refuses to migrate between hosts with the same one.
    `host_uuid = "${host.hostUUID}"`,
    // Only with --listen: TLS, never plain TCP, and only on loopback.
    'listen_tls = 1',
    'listen_tcp = 0',
    `listen_addr = "${LAB_TLS_ADDRESS}"`,
    `tls_port = "${host.tlsPort}"`,
    `ca_file = "${certs.caFile}"`,
    `cert_file = "${certs.certFile}"`,
    `key_file = "${certs.keyFile}"`,
    'tls_no_verify_certificate = 0',
    // With SASL: a user name and password (SCRAM-SHA-256, the lab's sasldb) besides the certificate.
    `auth_tls = "${sasl ? 'sasl' : 'none'}"`,
    '',
  ].join('\n');
}

/** The host's qemu.conf: its own port range, loopback-only migrations, QEMU's output to files. */
export function qemuConf(host: HostLayout, certs: CertPaths): string {
  return [
    // Disjoint ranges per host and per lab: parallel migrations never fight over a port.
    `migration_port_min = ${host.libvirtPorts.min}`,
    `migration_port_max = ${host.libvirtPorts.max}`,
    // Incoming migrations (and NBD) listen on loopback only, and the source is told to connect
    // there: a migration between lab hosts needs no migrate URI, and nothing listens beyond this machine.
    `migration_address = "${LAB_MIGRATION_ADDRESS}"`,
    `migration_host = "${LAB_MIGRATION_ADDRESS}"`,
    // QEMU's output goes to a file: no virtlogd is spawned that `down` would not know of.
    'stdio_handler = "file"',
    // VIR_MIGRATE_TLS: QEMU's migration stream over TLS with the lab's certificates, peers verified.
    `migrate_tls_x509_cert_dir = "${certs.dir}"`,
    'migrate_tls_x509_verify = 1',
    '',
  ].join('\n');
}

/**
 * The /etc/hosts the host's daemon sees: the machine's, plus the host's own name. libvirt's
 * virGetHostname canonicalises the name with getaddrinfo; a lab name nobody resolves goes
 * to DNS, which can stall a `getHostname` for the resolver's 5 s timeout.
 */
function hostsFileText(host: HostLayout, machineHosts: string): string {
  const base = machineHosts.endsWith('\n') || machineHosts === '' ? machineHosts : `${machineHosts}\n`;
  return `${base}# pmc lab: this host's name, never asked of DNS\n127.0.1.1 ${host.hostname}\n`;
}

/** Writes the host's /etc/hosts file (root's, in the root-owned private/; never through a link). */
function writeHostsFile(host: HostLayout): void {
  let machineHosts = '';
  try {
    machineHosts = readFileSync('/etc/hosts', 'utf8');
  } catch {
    // No /etc/hosts on the machine: the daemon's has only its own name.
  }
  // Truncated in place, not replaced: a running daemon (kept by `up` again) has this inode mounted.
  const fd = openSync(
    host.hostsFile,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    0o644,
  );
  try {
    writeSync(fd, hostsFileText(host, machineHosts));
  } finally {
    closeSync(fd);
  }
}

/**
 * Prepares the host's tree and writes its libvirtd.conf and qemu.conf; returns
 * the libvirtd.conf path. Root only makes the tree's top directory and the
 * private `local` directory, both in root-owned parents; the rest is done as
 * the user: root never follows a link a lab user could plant (docs/lab.md, "Root and the lab's files").
 */
export function prepareHostTree(lab: LabLayout, host: HostLayout, account: Account, sasl: boolean): string {
  ensureOwnedDir(lab.dir, path.basename(host.dir), account.uid, account.gid);
  ensureOwnedDir(lab.privateDir, path.basename(host.privateLocalDir), account.uid, account.gid);
  // Root's, like /etc/libvirt/hooks: its user runs what is there but cannot change it.
  ensureOwnedDir(lab.privateDir, path.basename(host.hooksDir), 0, 0, 0o755);
  // The mount point on the machine (an empty directory if libvirt's package did not make it).
  checkRootOwnedPath(LIBVIRT_HOOKS_DIR, true);
  writeHostsFile(host);
  const certs = hostCertPaths(lab, host);
  const [setpriv, ...args] = [
    ...asUser(account),
    '/bin/sh',
    '-c',
    WRITE_TREE,
    'pmc-lab',
    host.dir,
    daemonConf(host, certs, sasl),
    qemuConf(host, certs),
  ];
  const result = spawnSync(setpriv!, args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
  });
  if (result.status !== 0) {
    throw new Error(
      `could not prepare ${host.dir} as ${account.name}: ${result.stderr.trim() || result.error?.message || `exit ${result.status}`}`,
    );
  }
  return path.join(host.configDir, 'libvirt', 'libvirtd.conf');
}

/**
 * Starts libvirtd for `host` under `tini -s`, a child subreaper: libvirt
 * daemonizes each QEMU (a double fork), so an exited QEMU is reaped by the
 * nearest subreaper, else by PID 1. On a real host that is systemd, which reaps
 * at once; a container's init may take a second or two, and libvirt's stop path
 * (virProcessKillPainfully) waits for the pid to vanish, so every destroy,
 * cancelled incoming migration and migration's Confirm would pay that second.
 * unshare (without --fork), sh and setpriv each exec the next; the pid returned
 * is libvirtd's (tini's one child), so signals and kills reach the daemon
 * itself, and tini exits with it.
 */
export async function startDaemon(
  host: HostLayout,
  account: Account,
  daemonConf: string,
  localPath: string,
  saslConfDir: string | null,
): Promise<ProcessRef> {
  const log = openAppendNoFollow(host.logFile); // in the root-owned logs/: no link to follow
  // libvirt's hook directory is fixed at its build (virhook.c's LIBVIRT_HOOK_DIR), for session daemons too:
  // each host sees its own at that path, so a gate installed there guards that host alone.
  const script =
    'hostname "$1" && mount --bind "$2" "$3" && mount --bind "$4" /etc/hosts && ' +
    `mount --bind "$5" ${LIBVIRT_HOOKS_DIR} && shift 5 && exec "$@"`;
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
      host.hostsFile,
      host.hooksDir,
      'tini',
      '-s',
      '--',
      ...asUser(account),
      'libvirtd',
      '--listen', // the TLS listener of its libvirtd.conf
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
        // Where Cyrus SASL reads libvirtd's SASL config (libvirt.conf), instead of the machine's /etc/sasl2.
        ...(saslConfDir ? { SASL_CONF_PATH: saslConfDir } : {}),
      },
    },
  );
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start libvirtd for ${host.name} (see ${host.logFile})`);
  const reaper = processRef(child.pid);
  if (!reaper) throw new Error(`libvirtd for ${host.name} exited at once (see ${host.logFile})`);
  return daemonUnder(reaper, host);
}

/** The one child tini forks for libvirtd, once the sh before it has exec'd tini (its hostname and mounts run first). */
async function daemonUnder(reaper: ProcessRef, host: HostLayout): Promise<ProcessRef> {
  const deadline = Date.now() + 5000;
  for (;;) {
    if (!isRunning(reaper)) throw new Error(`libvirtd for ${host.name} exited at once (see ${host.logFile})`);
    const daemon = commOf(reaper.pid) === 'tini' ? childrenOf(reaper.pid)[0] : undefined;
    const ref = daemon === undefined ? null : processRef(daemon);
    if (ref) return ref;
    if (Date.now() > deadline) throw new Error(`tini started no libvirtd for ${host.name} (see ${host.logFile})`);
    await sleep(5);
  }
}

function commOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
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
      throw new Error(
        `libvirtd for ${host.name} did not answer within ${DAEMON_START_TIMEOUT_MS / 1000} s:\n${logTail(host)}`,
      );
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
    // The user's tree: a pid file may be a link or a FIFO planted there, read it without following or blocking.
    const pid = Number(readUserFile(path.join(runDir, file))?.trim());
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
