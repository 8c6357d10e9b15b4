/**
 * The lab as a whole: `labUp` starts N hosts (default 2) and their guests,
 * `labStatus` inspects them, `labDown` takes everything down again. What was
 * started is recorded in <lab dir>/lab.json, so `down` stops exactly those
 * processes (by pid and start time, never by name).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Connection } from '../binding/connection.js';
import { ensureGuests, LAB_VM, LAB_VM_DISK } from './guests.js';
import { labLayout, resolveOptions, type HostLayout, type LabLayout, type LabOptions } from './layout.js';
import { prepareHostTree, startDaemon, stopDaemon, waitForDaemon } from './daemon.js';
import { isRunning, type ProcessRef } from './processes.js';
import { ensurePools } from './storage.js';
import { ensureGroup, ensureUser } from './users.js';

export type { LabOptions } from './layout.js';

/** One lab host, as callers (tests, benchmarks, the demo) use it. */
export interface LabHostInfo {
  name: string;
  hostname: string;
  uri: string;
  hostUUID: string;
  user: string;
  uid: number;
  /** libvirtd's pid. */
  pid: number;
  logFile: string;
  /** A port reserved for migrations *to* this host whose URI the caller names. */
  migrationPort: number;
  /** `tcp://127.0.0.1:<migrationPort>`, for VIR_MIGRATE_PARAM_URI. */
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
}

/** What lab.json records: enough for `down` to find every process it must stop. */
interface LabState {
  id: string;
  hosts: { name: string; uid: number; gid: number; daemon: ProcessRef | null }[];
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

const REQUIRED_COMMANDS = ['unshare', 'setpriv', 'libvirtd', 'qemu-system-x86_64', 'useradd', 'hostname', 'mount'];

/** Stops early, saying what is missing, instead of failing halfway. */
function checkPrerequisites(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the lab needs root: it creates one system user per host and starts each libvirtd in its own UTS and ' +
        'mount namespace (unshare). Run it as root (e.g. sudo pmc lab up).',
    );
  }
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
      `the lab needs ${missing.join(', ')}. On Debian/Ubuntu: apt-get install util-linux libvirt-daemon ` +
        'libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils passwd mount hostname ' +
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

function hostInfo(host: HostLayout, uid: number, daemon: ProcessRef | null): LabHostInfo {
  return {
    name: host.name,
    hostname: host.hostname,
    uri: host.uri,
    hostUUID: host.hostUUID,
    user: host.user,
    uid,
    pid: daemon?.pid ?? 0,
    logFile: host.logFile,
    migrationPort: host.migrationPort,
    migrationUri: `tcp://127.0.0.1:${host.migrationPort}`,
    libvirtPorts: host.libvirtPorts,
  };
}

function labInfo(lab: LabLayout, state: LabState): LabInfo {
  return {
    id: lab.id,
    dir: lab.dir,
    localPath: lab.localPath,
    sharedPath: lab.sharedPath,
    hosts: lab.hosts.map((h, i) => hostInfo(h, state.hosts[i]?.uid ?? -1, state.hosts[i]?.daemon ?? null)),
    guests: [LAB_VM, LAB_VM_DISK],
  };
}

/** The layout of the lab a state file describes: its host count wins over the options'. */
function layoutOf(options: LabOptions): { lab: LabLayout; state: LabState | null } {
  const probe = labLayout({ ...options, hosts: 1 });
  const state = readState(probe);
  const hosts = state?.hosts.length ?? resolveOptions(options).hosts;
  return { lab: labLayout({ ...options, hosts }), state };
}

async function closeAll(conns: (Connection | undefined)[]): Promise<void> {
  await Promise.all(conns.map((c) => c?.close()));
}

/**
 * Starts the lab (or completes it: daemons that run and answer are kept, dead
 * ones restarted, missing pools and guests created). Resolves once every
 * daemon answers and every guest runs. On failure, nothing of the lab is left
 * running.
 */
export async function labUp(options: LabOptions = {}): Promise<LabInfo> {
  checkPrerequisites();
  const previous = layoutOf(options);
  const lab = previous.state ? previous.lab : labLayout(options);
  const state: LabState = previous.state ?? { id: lab.id, hosts: [] };
  const conns: (Connection | undefined)[] = [];
  try {
    const gid = ensureGroup(lab.group);
    mkdirSync(lab.dir, { recursive: true, mode: 0o755 });
    chmodSync(lab.dir, 0o755); // the lab users must reach their trees below it
    mkdirSync(lab.localPath, { recursive: true, mode: 0o755 });
    mkdirSync(lab.sharedPath, { recursive: true });
    chownSync(lab.sharedPath, 0, gid);
    chmodSync(lab.sharedPath, 0o2770); // setgid: files created there belong to the lab group

    // allSettled: when one daemon fails, the others' connections are still collected (and closed below).
    const starts = await Promise.allSettled(
      lab.hosts.map(async (host, i) => {
        const account = ensureUser(host.user, host.dir, lab.group);
        const daemonConf = prepareHostTree(host, account);
        let daemon = state.hosts[i]?.daemon ?? null;
        if (!daemon || !isRunning(daemon)) {
          daemon = startDaemon(host, account, daemonConf, lab.localPath);
        }
        state.hosts[i] = { name: host.name, uid: account.uid, gid: account.gid, daemon };
        writeState(lab, state); // recorded before waiting, so a failed up can still be taken down
        conns[i] = await waitForDaemon(host, daemon);
      }),
    );
    const failed = starts.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const ready = conns as Connection[];
    await Promise.all(ready.map((conn) => ensurePools(conn, lab)));
    await ensureGuests(ready, lab);
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
      const status: LabHostStatus = { ...host, daemonRunning: !!daemon && isRunning(daemon), answering: false, domains: [] };
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
  const { lab, state } = layoutOf(options);
  if (state) {
    // allSettled: when one daemon fails, the others' connections are still collected (and closed below).
    const starts = await Promise.allSettled(
      lab.hosts.map(async (host, i) => {
        const recorded = state.hosts[i];
        if (!recorded) return;
        if (recorded.daemon && isRunning(recorded.daemon)) {
          // Guests first, through libvirt: a session daemon leaves its guests running when it exits.
          try {
            const conn = await openWithin(host.uri, 5000);
            try {
              const domains = await conn.listAllDomains();
              await Promise.all(domains.map(async (d) => (await d.isActive()) && d.destroy()));
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
  if (existsSync(lab.dir)) rmSync(lab.dir, { recursive: true, force: true });
}
