/**
 * Where everything of one lab lives: its directory tree, user names, hostnames,
 * host UUIDs and migration ports. Pure functions of the lab id, so that `up`,
 * `status` and `down` (and several labs side by side) agree without coordination.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';

export interface LabOptions {
  /** Tells labs on one machine apart (env PMC_LAB_ID, default "default"). */
  id?: string;
  /** How many hosts (default 2). */
  hosts?: number;
  /** The directory holding every lab (env PMC_LAB_ROOT, default /var/lib/pmc-lab). */
  root?: string;
}

export const DEFAULT_LAB_ID = 'default';
export const DEFAULT_LAB_ROOT = '/var/lib/pmc-lab';
export const MAX_HOSTS = 10;
/**
 * Where the lab's incoming migrations (and NBD) listen, and where sources connect: a loopback
 * address, so nothing listens beyond this machine. Not 127.0.0.1: libvirt refuses 127.0.0.1 and
 * ::1 as migration_host/migration_address ("the address of the local machine", since a real
 * destination would send the source to itself), but all of 127.0.0.0/8 is loopback on Linux.
 */
export const LAB_MIGRATION_ADDRESS = '127.0.0.2';
/** libvirt's hook directory (virhook.c's LIBVIRT_HOOK_DIR: fixed at build time, for session daemons too). */
export const LIBVIRT_HOOKS_DIR = '/etc/libvirt/hooks';
/** Where each host's libvirtd listens for TLS (`tlsPort`): loopback only. */
export const LAB_TLS_ADDRESS = '127.0.0.1';
/**
 * Ports per host: the first PORTS_PER_HOST - 2 are libvirt's own range (migration, NBD), then one for
 * callers' migration URIs, then libvirtd's TLS listener.
 */
const PORTS_PER_HOST = 17;
const FIRST_PORT = 49152;
/**
 * Port blocks a lab id can hash to (each holds MAX_HOSTS hosts): as many as fit below 65536, so the
 * last block's last port is still a port. The default lab has the first block, so its ports do not
 * depend on MAX_HOSTS.
 */
const PORT_SLOTS = Math.floor((65536 - FIRST_PORT) / (MAX_HOSTS * PORTS_PER_HOST));

export interface HostLayout {
  index: number;
  /** `host-1`, `host-2`, … */
  name: string;
  hostname: string;
  hostUUID: string;
  user: string;
  /** The host's own tree (its XDG dirs), owned by the host's user: root never creates anything inside. */
  dir: string;
  runtimeDir: string;
  configDir: string;
  cacheDir: string;
  dataDir: string;
  /** What this host sees at the lab's `local` path (bind-mounted in its mount namespace); `<lab>/private/host-N`. */
  privateLocalDir: string;
  /**
   * The /etc/hosts the daemon sees (bind-mounted in its mount namespace), `<lab>/private/host-N.hosts`:
   * its hostname resolves there, so libvirt never asks DNS for it.
   */
  hostsFile: string;
  /**
   * What the daemon sees at /etc/libvirt/hooks (bind-mounted in its mount namespace; libvirt's hook
   * directory is fixed at build time, for session daemons too), `<lab>/private/host-N.hooks`: root's,
   * so `pmc hook install --hooks-dir` gates this host alone.
   */
  hooksDir: string;
  /** Where the host's gate journals (the hook runs as the host's user: its `$HOME/.local/state`). */
  journalDir: string;
  /** libvirtd's stdout and stderr, `<lab>/logs/host-N.log`: opened by root, outside the user's tree. */
  logFile: string;
  socket: string;
  /** The daemon's own socket, whatever the lab's RTT. */
  uri: string;
  /** Where the host's delaying proxy listens when the lab has an RTT (docs/lab.md, "A WAN on one machine"). */
  proxySocket: string;
  proxyUri: string;
  /** The proxy's stdout and stderr, in the root-owned logs/. */
  proxyLogFile: string;
  /** The range libvirt picks migration and NBD ports from on this host. */
  libvirtPorts: { min: number; max: number };
  /** A port outside libvirtPorts, for callers that name the migration URI themselves. */
  migrationPort: number;
  /** Where the host's libvirtd listens for TLS (on LAB_TLS_ADDRESS only). */
  tlsPort: number;
}

export interface LabLayout {
  id: string;
  dir: string;
  /** Every host sees its own private directory at this one path (pool `local`). */
  localPath: string;
  /** Every host sees the same directory here (pool `shared`). */
  sharedPath: string;
  /** Root-owned parent of the hosts' private `local` directories and /etc/hosts files. */
  privateDir: string;
  /** Root-owned directory of the daemons' logs. */
  logDir: string;
  /** The group every lab user belongs to, so that files in `shared` are readable by all hosts. */
  group: string;
  stateFile: string;
  hosts: HostLayout[];
}

export function resolveOptions(options: LabOptions = {}): Required<LabOptions> {
  const id = options.id ?? process.env.PMC_LAB_ID ?? DEFAULT_LAB_ID;
  // The id becomes part of user and group names (at most 32 characters) and paths. No '-': lab
  // "x-1"'s group pmc-x-1 would be the primary group of lab "x"'s user pmc-x-1, and so on.
  if (!/^[a-z0-9]{1,16}$/.test(id)) {
    throw new Error(`invalid lab id "${id}": use 1-16 characters among a-z and 0-9 (no '-': names would collide)`);
  }
  const hosts = options.hosts ?? 2;
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > MAX_HOSTS) {
    throw new Error(`invalid host count ${hosts}: a lab has 1 to ${MAX_HOSTS} hosts`);
  }
  const given = options.root ?? process.env.PMC_LAB_ROOT ?? DEFAULT_LAB_ROOT;
  // Root acts on <root>/<id>: no relative root (it would depend on the cwd), no `..` to step out.
  if (!path.isAbsolute(given) || given.split('/').includes('..')) {
    throw new Error(`invalid lab root "${given}": use an absolute path without ".."`);
  }
  const root = path.resolve(given);
  return { id, hosts, root };
}

/** A stable UUID (RFC 4122 layout, version 5 style) from a name. */
function uuidFrom(name: string): string {
  const h = createHash('sha1').update(`libvirt-pmc lab/${name}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The lab's first port: the default lab has the first block, other ids hash to one of the others. */
function portBase(id: string): number {
  if (id === DEFAULT_LAB_ID) return FIRST_PORT;
  const slot = 1 + (createHash('sha1').update(id).digest().readUInt32BE(0) % (PORT_SLOTS - 1));
  return FIRST_PORT + slot * MAX_HOSTS * PORTS_PER_HOST;
}

export function labLayout(options: LabOptions = {}): LabLayout {
  const { id, hosts, root } = resolveOptions(options);
  const dir = path.join(root, id);
  const base = portBase(id);
  const privateDir = path.join(dir, 'private');
  const logDir = path.join(dir, 'logs');
  const suffix = id === DEFAULT_LAB_ID ? '' : `-${id}`;
  return {
    id,
    dir,
    localPath: path.join(dir, 'local'),
    sharedPath: path.join(dir, 'shared'),
    privateDir,
    logDir,
    group: `pmc-${id}`,
    stateFile: path.join(dir, 'lab.json'),
    hosts: Array.from({ length: hosts }, (_, i) => {
      const index = i + 1;
      const hostDir = path.join(dir, `host-${index}`);
      const runtimeDir = path.join(hostDir, 'run');
      const socket = path.join(runtimeDir, 'libvirt', 'libvirt-sock');
      const proxySocket = path.join(runtimeDir, 'pmc-delay-proxy.sock');
      const first = base + i * PORTS_PER_HOST;
      return {
        index,
        name: `host-${index}`,
        hostname: `pmc-lab-${index}${suffix}`,
        hostUUID: uuidFrom(`${id}/${index}`),
        user: `pmc-${id}-${index}`,
        dir: hostDir,
        runtimeDir,
        configDir: path.join(hostDir, 'config'),
        cacheDir: path.join(hostDir, 'cache'),
        dataDir: path.join(hostDir, 'data'),
        privateLocalDir: path.join(privateDir, `host-${index}`),
        hostsFile: path.join(privateDir, `host-${index}.hosts`),
        hooksDir: path.join(privateDir, `host-${index}.hooks`),
        journalDir: path.join(hostDir, '.local', 'state', 'libvirt-pmc'),
        logFile: path.join(logDir, `host-${index}.log`),
        socket,
        uri: `qemu:///session?socket=${socket}`,
        proxySocket,
        proxyUri: `qemu:///session?socket=${proxySocket}`,
        proxyLogFile: path.join(logDir, `host-${index}-proxy.log`),
        libvirtPorts: { min: first, max: first + PORTS_PER_HOST - 3 },
        migrationPort: first + PORTS_PER_HOST - 2,
        tlsPort: first + PORTS_PER_HOST - 1,
      };
    }),
  };
}
