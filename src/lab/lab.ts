/**
 * The lab as a whole: `labUp` starts N hosts (default 2) and their guests,
 * `labStatus` inspects them, `labDown` takes everything down again. What was
 * started is recorded in <lab dir>/lab.json, so `down` stops exactly those
 * processes (by pid and start time, never by name).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '../binding/connection.js';
import { clientPkiDir, ensureLabCerts } from './certs.js';
import { ensurePostcopyEmulator, postcopyEmulatorPath, removePostcopyEmulator } from './emulator.js';
import { ensureGuests, ensureIdleGuests, idleGuestName, LAB_VM, LAB_VM_DISK } from './guests.js';
import { notLabHost } from './identity.js';
import {
  LAB_MIGRATION_ADDRESS,
  LAB_TLS_ADDRESS,
  labLayout,
  resolveOptions,
  type HostLayout,
  type LabLayout,
  type LabOptions,
} from './layout.js';
import { prepareHostTree, startDaemon, stopDaemon, waitForDaemon } from './daemon.js';
import { isRunning, processRef, uidOf, type ProcessRef } from './processes.js';
import { checkRootOwnedPath, ensureOwnedDir, LabSafetyError, verifyLabMarker, writeLabMarker } from './root-fs.js';
import { ensureLabSasl, labSaslCredentials, saslConfDir, type SaslCredentials } from './sasl.js';
import { ensurePools } from './storage.js';
import { ensureGroup, ensureUser } from './users.js';
import { checkRtt, startProxy, stopProxy, waitForProxy } from './wan.js';

export type { LabOptions } from './layout.js';

export interface LabUpOptions extends LabOptions {
  /**
   * A round-trip time in ms between clients and every daemon (a delaying proxy
   * per host; 0: the daemons' own sockets). Omitted: what the lab has now
   * (0 for a new lab).
   */
  rtt?: number;
  /**
   * SASL on the TLS listeners: clients authenticate with `LabInfo.sasl`'s user
   * name and password too. Fixed when the lab is created (omitted: what the lab has, false for a new one).
   */
  sasl?: boolean;
  /**
   * The lab's own QEMU with CAP_SYS_PTRACE, for guests that migrate post-copy (`LabInfo.postcopyEmulator`).
   * Omitted: what the lab has (none for a new lab); false removes it.
   */
  postcopy?: boolean;
  /**
   * How many small idle guests (`idle-1`, …; IDLE_GUEST_MIB each, transient) run besides lab-vm and
   * lab-vm-disk, started on host 1 (docs/lab.md, "Many guests"). Omitted: what the lab has (none for a new lab).
   */
  idleGuests?: number;
}

/** At most this many idle guests: each is a QEMU process on this machine. */
export const MAX_IDLE_GUESTS = 200;

/** One lab host, as callers (tests, benchmarks, the demo) use it. */
export interface LabHostInfo {
  name: string;
  hostname: string;
  /** How clients reach the host: through its delaying proxy when the lab has an RTT. */
  uri: string;
  /** The daemon's own socket, never delayed. */
  daemonUri: string;
  /**
   * The daemon over TLS on loopback (`qemu+tls://127.0.0.1:<tlsPort>/session?pkipath=…`), with the
   * lab's client certificate (root's: docs/security.md, "The lab's certificates"). Never delayed.
   */
  tlsUri: string;
  /** libvirtd's TLS port, on 127.0.0.1. */
  tlsPort: number;
  hostUUID: string;
  user: string;
  uid: number;
  /** libvirtd's pid. */
  pid: number;
  logFile: string;
  /** What the daemon sees at /etc/libvirt/hooks (root's): `pmc hook install --hooks-dir` gates this host alone. */
  hooksDir: string;
  /** Where a gate installed on this host journals (its user's state directory; `pmc hook log --journal`). */
  journalDir: string;
  /** A port reserved for migrations *to* this host whose URI the caller names. */
  migrationPort: number;
  /** `tcp://<LAB_MIGRATION_ADDRESS>:<migrationPort>`, for VIR_MIGRATE_PARAM_URI (optional: without one libvirt picks a port itself). */
  migrationUri: string;
  /** The range libvirt itself picks migration and NBD ports from on this host. */
  libvirtPorts: { min: number; max: number };
}

export interface LabInfo {
  id: string;
  dir: string;
  /** Same path on every host, a private directory on each (pool `local`). */
  localPath: string;
  /** One directory all hosts see (pool `shared`). */
  sharedPath: string;
  hosts: LabHostInfo[];
  /** The guests `up` defines and starts on host 1. */
  guests: string[];
  /** The round-trip time in ms `uri` adds (0: no proxy). */
  rtt: number;
  /** With SASL: the credentials every `tlsUri` asks for (answer VIR_CRED_AUTHNAME and VIR_CRED_PASSPHRASE); else null. */
  sasl: SaslCredentials | null;
  /**
   * With `up --postcopy`: the `<emulator>` of guests that may migrate post-copy (the lab's QEMU copy with
   * CAP_SYS_PTRACE, so userfaultfd works for an unprivileged QEMU); else null. The lab's own guests keep the system's.
   */
  postcopyEmulator: string | null;
}

/** What lab.json records: enough for `down` to find every process it must stop. */
interface LabState {
  id: string;
  /** Absent in a lab.json of a pmc without proxies: 0. */
  rtt?: number;
  /** SASL on the TLS listeners (absent: no). */
  sasl?: boolean;
  /** The post-copy emulator is there (absent: no). */
  postcopy?: boolean;
  /** Idle guests the lab keeps running (absent: none). */
  idleGuests?: number;
  hosts: {
    name: string;
    uid: number;
    gid: number;
    daemon: ProcessRef | null;
    proxy?: ProcessRef | null;
    /** libvirtd's TLS listener (absent in a lab.json of a pmc without one). */
    tlsPort?: number;
  }[];
}

export interface LabHostStatus extends LabHostInfo {
  daemonRunning: boolean;
  answering: boolean;
  /** Guests defined or running on this host. */
  domains: { name: string; active: boolean }[];
  error?: string;
}

export interface LabStatus extends Omit<LabInfo, 'hosts'> {
  hosts: LabHostStatus[];
}

const REQUIRED_COMMANDS = [
  'unshare',
  'tini',
  'setpriv',
  'libvirtd',
  'qemu-system-x86_64',
  'useradd',
  'hostname',
  'mount',
  'openssl',
];

/** `up` and `down` act as root on users, namespaces and files: refuse anyone else at once. */
function requireRoot(command: 'up' | 'down'): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      `pmc lab ${command} needs root: the lab creates one system user per host, starts each libvirtd in its own UTS and ` +
        `mount namespace (unshare) and owns its files as root. Run it as root (e.g. sudo pmc lab ${command}).`,
    );
  }
}

/** Stops early, saying what is missing, instead of failing halfway. */
function checkPrerequisites(): void {
  requireRoot('up');
  const missing = REQUIRED_COMMANDS.filter((cmd) => {
    try {
      execFileSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(
      `the lab needs ${missing.join(', ')}. On Debian/Ubuntu: apt-get install util-linux tini libvirt-daemon ` +
        'libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils passwd mount hostname openssl ' +
        '(or run scripts/setup.sh)',
    );
  }
}

function readState(lab: LabLayout): LabState | null {
  try {
    return JSON.parse(readFileSync(lab.stateFile, 'utf8')) as LabState;
  } catch {
    return null;
  }
}

function writeState(lab: LabLayout, state: LabState): void {
  writeFileSync(lab.stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

/** The URI of a host's TLS listener, with the pkipath of the lab's client certificate. */
function tlsUri(lab: LabLayout, host: HostLayout): string {
  return `qemu+tls://${LAB_TLS_ADDRESS}:${host.tlsPort}/session?pkipath=${clientPkiDir(lab)}`;
}

function hostInfo(lab: LabLayout, host: HostLayout, uid: number, daemon: ProcessRef | null, rtt: number): LabHostInfo {
  return {
    name: host.name,
    hostname: host.hostname,
    uri: rtt > 0 ? host.proxyUri : host.uri,
    daemonUri: host.uri,
    tlsUri: tlsUri(lab, host),
    tlsPort: host.tlsPort,
    hostUUID: host.hostUUID,
    user: host.user,
    uid,
    pid: daemon?.pid ?? 0,
    logFile: host.logFile,
    hooksDir: host.hooksDir,
    journalDir: host.journalDir,
    migrationPort: host.migrationPort,
    migrationUri: `tcp://${LAB_MIGRATION_ADDRESS}:${host.migrationPort}`,
    libvirtPorts: host.libvirtPorts,
  };
}

function labInfo(lab: LabLayout, state: LabState): LabInfo {
  return {
    id: lab.id,
    dir: lab.dir,
    localPath: lab.localPath,
    sharedPath: lab.sharedPath,
    hosts: lab.hosts.map((h, i) =>
      hostInfo(lab, h, state.hosts[i]?.uid ?? -1, state.hosts[i]?.daemon ?? null, state.rtt ?? 0),
    ),
    guests: [LAB_VM, LAB_VM_DISK, ...Array.from({ length: state.idleGuests ?? 0 }, (_, i) => idleGuestName(i + 1))],
    rtt: state.rtt ?? 0,
    sasl: state.sasl ? labSaslCredentials(lab) : null,
    postcopyEmulator: state.postcopy ? postcopyEmulatorPath(lab) : null,
  };
}

/** The layout of the lab a state file describes: its host count wins over the options'. */
function layoutOf(options: LabOptions): { lab: LabLayout; state: LabState | null } {
  const probe = labLayout({ ...options, hosts: 1 });
  const state = readState(probe);
  const hosts = state?.hosts.length || resolveOptions(options).hosts; // a state written before its first host has none
  return { lab: labLayout({ ...options, hosts }), state };
}

async function closeAll(conns: (Connection | undefined)[]): Promise<void> {
  await Promise.all(conns.filter((c): c is Connection => c !== undefined).map((c) => c.close()));
}

/**
 * Makes <root>/<id> a lab directory of ours, or refuses: every component of
 * the root is root-owned and writable by root alone (missing ones are created),
 * and the lab directory is either new (created with its marker) or carries the
 * marker of this lab. An existing directory without one is never adopted.
 */
function claimLabDir(options: LabOptions): void {
  const { id, root } = resolveOptions(options);
  const dir = labLayout({ id, root, hosts: 1 }).dir;
  checkRootOwnedPath(root, true, true);
  if (verifyLabMarker(dir, id)) return;
  mkdirSync(dir, { mode: 0o755 }); // fails if it appeared meanwhile
  chmodSync(dir, 0o755); // not narrowed by the umask: the lab users must reach their trees below it
  checkRootOwnedPath(dir, false);
  writeLabMarker(dir, id);
}

/** Pids of live processes (zombies act no more) running as any of `uids`. */
function processesOf(uids: Set<number>): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      const uid = uidOf(pid);
      const ref = uid !== null && uids.has(uid) ? processRef(pid) : null;
      return ref !== null && isRunning(ref);
    });
}

/**
 * Starts the lab (or completes it: daemons that run and answer are kept, dead
 * ones restarted, missing pools and guests created). Resolves once every
 * daemon answers and every guest runs. On failure, nothing of the lab is left
 * running.
 */
export async function labUp(options: LabUpOptions = {}): Promise<LabInfo> {
  checkPrerequisites();
  if (options.rtt !== undefined) checkRtt(options.rtt);
  const { idleGuests } = options;
  if (idleGuests !== undefined && !(Number.isInteger(idleGuests) && idleGuests >= 0 && idleGuests <= MAX_IDLE_GUESTS)) {
    throw new Error(`invalid idle guest count ${idleGuests}: use 0 to ${MAX_IDLE_GUESTS}`);
  }
  claimLabDir(options); // before anything reads or writes there
  const previous = layoutOf(options);
  const lab = previous.state ? previous.lab : labLayout(options);
  const state: LabState = previous.state ?? { id: lab.id, hosts: [] };
  const previousRtt = state.rtt ?? 0;
  const rtt = options.rtt ?? previousRtt;
  const sasl = options.sasl ?? state.sasl ?? false;
  if (previous.state && options.sasl !== undefined && (previous.state.sasl ?? false) !== options.sasl) {
    throw new Error(
      `lab "${lab.id}" runs ${previous.state.sasl ? 'with' : 'without'} SASL: take it down before changing that`,
    );
  }
  // Growing or shrinking a running lab would renumber nothing but leave certificates, /etc/hosts files and
  // guests made for the old count: the count is fixed when the lab is created, as SASL is.
  if (previous.state && options.hosts !== undefined && previous.state.hosts.length > 0) {
    const running = previous.state.hosts.length;
    if (options.hosts !== running) {
      throw new Error(
        `lab "${lab.id}" has ${running} host${running === 1 ? '' : 's'}, not ${options.hosts}: ` +
          `take it down first (pmc lab down --id ${lab.id}), then pmc lab up --id ${lab.id} --hosts ${options.hosts}`,
      );
    }
  }
  state.sasl = sasl;
  const conns: (Connection | undefined)[] = [];
  try {
    const gid = ensureGroup(lab.group);
    // Root-owned children of the (verified) lab dir: checked entries, no link followed.
    ensureOwnedDir(lab.dir, path.basename(lab.localPath), 0, 0, 0o755);
    ensureOwnedDir(lab.dir, path.basename(lab.privateDir), 0, 0, 0o755);
    ensureOwnedDir(lab.dir, path.basename(lab.logDir), 0, 0, 0o755);
    ensureOwnedDir(lab.dir, path.basename(lab.sharedPath), 0, gid, 0o2770);
    chmodSync(lab.sharedPath, 0o2770); // setgid: files created there belong to the lab group

    const accounts = lab.hosts.map((host) => ensureUser(host.user, host.dir, lab.group));
    ensureLabCerts(lab, accounts); // before the daemons: their TLS listeners and qemu.conf name them
    if (sasl) ensureLabSasl(lab, accounts);
    if (options.postcopy === true || (options.postcopy === undefined && state.postcopy)) {
      ensurePostcopyEmulator(lab, gid);
      state.postcopy = true;
    } else if (options.postcopy === false) {
      removePostcopyEmulator(lab);
      delete state.postcopy;
    }

    // allSettled: when one daemon fails, the others' connections are still collected (and closed below).
    const starts = await Promise.allSettled(
      lab.hosts.map(async (host, i) => {
        const account = accounts[i]!;
        const daemonConf = prepareHostTree(lab, host, account, sasl);
        let daemon = state.hosts[i]?.daemon ?? null;
        if (!daemon || !isRunning(daemon)) {
          daemon = await startDaemon(host, account, daemonConf, lab.localPath, sasl ? saslConfDir(lab, host) : null);
        }
        let proxy = state.hosts[i]?.proxy ?? null;
        state.hosts[i] = { name: host.name, uid: account.uid, gid: account.gid, daemon, proxy, tlsPort: host.tlsPort };
        writeState(lab, state); // recorded before waiting, so a failed up can still be taken down
        conns[i] = await waitForDaemon(host, daemon);
        // A proxy is kept only if it runs with the RTT asked for.
        if (proxy && (rtt !== previousRtt || rtt === 0 || !isRunning(proxy))) {
          await stopProxy(proxy);
          proxy = null;
        }
        if (rtt > 0 && !proxy) {
          proxy = startProxy(host, account, rtt);
          state.hosts[i]!.proxy = proxy;
          state.rtt = rtt;
          writeState(lab, state);
          await waitForProxy(host, proxy);
        }
        state.hosts[i]!.proxy = proxy;
      }),
    );
    const failed = starts.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    state.rtt = rtt;
    writeState(lab, state);
    const ready = conns as Connection[];
    await Promise.all(ready.map((conn) => ensurePools(conn, lab)));
    await ensureGuests(ready, lab);
    state.idleGuests = idleGuests ?? state.idleGuests ?? 0;
    writeState(lab, state);
    await ensureIdleGuests(ready, lab, state.idleGuests);
    return labInfo(lab, state);
  } catch (error) {
    await closeAll(conns);
    conns.length = 0;
    await labDown(options).catch(() => undefined);
    throw error;
  } finally {
    await closeAll(conns);
  }
}

/** Connects with a deadline: a stopped (SIGSTOP) or wedged daemon must not hang status or down. */
async function openWithin(uri: string, ms: number): Promise<Connection> {
  let timer: NodeJS.Timeout | undefined;
  const opening = Connection.open(uri);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from ${uri} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([opening, timeout]);
  } catch (error) {
    opening.then((c) => c.close()).catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The lab's hosts and where its guests are, or null when no lab with this id is up. */
export async function labStatus(options: LabOptions = {}): Promise<LabStatus | null> {
  const { lab, state } = layoutOf(options);
  if (!state) return null;
  const info = labInfo(lab, state);
  const hosts = await Promise.all(
    info.hosts.map(async (host, i): Promise<LabHostStatus> => {
      const daemon = state.hosts[i]?.daemon ?? null;
      const status: LabHostStatus = {
        ...host,
        daemonRunning: !!daemon && isRunning(daemon),
        answering: false,
        domains: [],
      };
      if (!status.daemonRunning) return status;
      try {
        const conn = await openWithin(host.uri, 5000);
        try {
          const domains = await conn.listAllDomains();
          status.domains = await Promise.all(domains.map(async (d) => ({ name: d.name, active: await d.isActive() })));
          status.answering = true;
        } finally {
          await conn.close();
        }
      } catch (error) {
        status.error = error instanceof Error ? error.message : String(error);
      }
      return status;
    }),
  );
  return { ...info, hosts };
}

/**
 * Destroys the guests, stops the daemons (and any QEMU a dead daemon left
 * behind) and removes the lab directory. Safe to call when the lab is partly
 * up, or not up at all.
 */
export async function labDown(options: LabOptions = {}): Promise<void> {
  requireRoot('down');
  const { id, root } = resolveOptions(options);
  // Only a lab `up` created: anything else is refused before it is read, let alone removed.
  if (!verifyLabMarker(labLayout({ id, root, hosts: 1 }).dir, id)) return;
  const { lab, state } = layoutOf(options);
  if (state) {
    // allSettled: when one daemon fails, the others' connections are still collected (and closed below).
    await Promise.allSettled(
      lab.hosts.map(async (host, i) => {
        const recorded = state.hosts[i];
        if (!recorded) return;
        await stopProxy(recorded.proxy);
        if (recorded.daemon && isRunning(recorded.daemon)) {
          // Guests first, through libvirt: a session daemon leaves its guests running when it exits.
          try {
            const conn = await openWithin(host.uri, 5000);
            try {
              // A link the lab user planted may lead to another lab's daemon: never destroy its guests
              // (this host's own are then killed by stopDaemon, by their pid files).
              if ((await notLabHost(conn, host)) === null) {
                const domains = await conn.listAllDomains();
                await Promise.all(domains.map(async (d) => (await d.isActive()) && d.destroy()));
              }
            } finally {
              await conn.close();
            }
          } catch {
            // An unreachable daemon: stopDaemon kills its guests by their pid files.
          }
        }
        await stopDaemon(host, recorded.daemon, recorded.uid);
      }),
    );
  }
  // rm -r is only safe while nobody else can change the tree: the lab users can write in their
  // trees and in shared/, so none of their processes may be left (rmSync never follows a link itself).
  const uids = new Set((state?.hosts ?? []).map((h) => h.uid));
  const left = processesOf(uids);
  if (left.length > 0) {
    throw new LabSafetyError(`processes of the lab users still run (pids ${left.join(', ')}): not removing ${lab.dir}`);
  }
  rmSync(lab.dir, { recursive: true, force: true });
}
