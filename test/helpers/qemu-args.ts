/**
 * The host paths a QEMU command line of libvirt's test corpus
 * (tests/qemuxml2argvdata/*.args) shows QEMU opening, with what QEMU does with
 * each: the truth test/unit/host-paths-corpus.test.ts holds parseHostPaths to.
 *
 * Strict by construction: every option value is split into its keys (QemuOpts
 * `key=value,…` with `,,` for a comma, or the JSON libvirt 9.0 gives -object,
 * -device, -blockdev, -netdev and -audiodev), and every key whose value is an
 * absolute path must have a rule in PATH_KEYS below, or the extractor throws:
 * nothing is dropped by not being looked at. A rule says the need, or why the
 * path is not one the domain XML's host-path model owns (`null`: libvirt's own
 * configuration, a guest-side string). A few keys name a path that need not
 * be absolute (the wav audio file): their rule applies to any value.
 */
import type { HostPathNeed } from '../../src/model/host-paths.js';

export interface ArgPath {
  /** The option and key that name it: `-chardev file path`, `-kernel`. */
  where: string;
  path: string;
  need: HostPathNeed;
  /** For -blockdev/-drive: the node it opens (libvirt-pflash0-storage, libvirt-1-storage). */
  node?: string;
}

type Fields = Array<[key: string, value: string]>;
/** What a path-valued key is: a need, or null with the reason it is not a domain host path. */
type Rule = HostPathNeed | ((fields: Fields) => HostPathNeed) | { not: string };

const get = (fields: Fields, key: string) => fields.find(([k]) => k === key)?.[1];

/**
 * `option` → `type/driver (or *)` → key → rule. The type is the QemuOpts' bare
 * first value or its `type`/`driver`/`qom-type`/`backend` key.
 */
const PATH_KEYS: Record<string, Record<string, Record<string, Rule>>> = {
  // qemuBuildChardevCommand: a file QEMU creates; a socket it listens on (server=on) or connects to.
  '-chardev': {
    file: { path: 'created', logfile: 'created' },
    socket: { path: (f) => (get(f, 'server') === 'on' ? 'created' : 'socket'), logfile: 'created' },
    pipe: { path: 'device', logfile: 'created' },
    serial: { path: 'device', logfile: 'created' },
    tty: { path: 'device', logfile: 'created' },
    parallel: { path: 'device', logfile: 'created' },
    '*': { logfile: 'created' },
  },
  '-object': {
    // An NVDIMM, virtio-pmem or memory-backing file (qemuBuildMemoryBackendProps).
    'memory-backend-file': { 'mem-path': 'exists' },
    'rng-random': { filename: 'device' },
    'input-linux': { evdev: 'device' },
    secret: { file: { not: "libvirt's per-domain master key (qemuDomainMasterKeyCreate)" } },
    'tls-creds-x509': { dir: { not: "qemu.conf's TLS directory (the TLS checks own it)" } },
    'sev-guest': {
      'dh-cert-file': { not: 'libvirt writes it from the base64 <dhCert> into the domain directory' },
      'session-file': { not: 'libvirt writes it from the base64 <session> into the domain directory' },
    },
    // A disk's <reservations> (the disk checks) or libvirt's own managed helper.
    'pr-manager-helper': { path: { not: "a disk's persistent-reservation helper socket" } },
  },
  '-fsdev': { local: { path: 'exists' }, handle: { path: 'exists' } },
  '-device': {
    '*': {
      evdev: 'device',
      romfile: 'exists',
      // ccid-card-emulated backend=certificates: the NSS database directory.
      db: 'exists',
      mount_tag: { not: 'the guest-side 9p tag' },
      sysfsdev: { not: 'a mediated host device (the device checks)' },
      hostdevice: { not: 'a USB host device (the device checks)' },
      'host-path': { not: 'a TPM proxy host device (the device checks)' },
    },
  },
  '-netdev': {
    'vhost-vdpa': { vhostdev: 'device' },
    stream: { path: { not: "passt's socket in libvirt's runtime directory" } },
  },
  '-spice': {
    '*': { addr: 'created', rendernode: 'device', 'x509-dir': { not: "qemu.conf's spice_tls_x509_cert_dir" } },
  },
  '-display': { '*': { rendernode: 'device' } },
  '-vnc': { '*': { unix: 'created' } },
  // qemuBuildAudioCommandLine: OSS opens a device node; an ALSA dev is a PCM name, not a file.
  '-audiodev': { oss: { dev: 'device' }, alsa: { dev: { not: 'an ALSA PCM name' } }, wav: { path: 'created' } },
  '-tpmdev': {
    passthrough: {
      path: 'device',
      'cancel-path': { not: 'libvirt finds it in sysfs beside the TPM (virTPMCreateCancelPath)' },
    },
    emulator: {},
  },
  '-acpitable': { '*': { file: 'exists' } },
  '-fw_cfg': { '*': { file: 'exists' } },
  // pflash: the loader is read, the NVRAM varstore is libvirt's copy of its template; other nodes are disks.
  '-blockdev': {
    '*': {
      filename: (f) => (/^libvirt-pflash1/.test(get(f, 'node-name') ?? '') ? 'created' : 'exists'),
      path: 'exists',
      dir: 'exists',
      conf: { not: "an rbd disk's ceph.conf (the disk checks)" },
    },
  },
  '-drive': { '*': { file: (f) => (get(f, 'if') === 'pflash' && get(f, 'unit') === '1' ? 'created' : 'exists') } },
};

/** Options whose whole value is a path. */
const WHOLE_VALUE: Record<string, HostPathNeed> = {
  '-kernel': 'exists',
  '-initrd': 'exists',
  '-dtb': 'exists',
  '-bios': 'exists',
  '-mem-path': 'exists',
};

/** Keys that name paths of the guest, not of the host: never extracted. */
const GUEST_SIDE = new Set(['-append', '-smbios', '-name', '-uuid', '-incoming']);

/** Keys that name a host path even when it is relative. */
const ANY_VALUE = new Set(['-audiodev wav path']);

/** Splits QemuOpts `a,b=c,,d`: `,,` is a literal comma; a bare first value gets the key ''. */
export function splitQemuOpts(value: string): Fields {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    if (value[i] === ',' && value[i + 1] === ',') {
      cur += ',';
      i++;
    } else if (value[i] === ',') {
      parts.push(cur);
      cur = '';
    } else cur += value[i];
  }
  parts.push(cur);
  return parts.map((p, i) => {
    const eq = p.indexOf('=');
    if (eq < 0) return [i === 0 ? '' : p, i === 0 ? p : 'on'];
    return [p.slice(0, eq), p.slice(eq + 1)];
  });
}

/** Every string leaf of a JSON value, keyed by its own key (nested objects flattened, `addr.path` → `path`). */
function jsonFields(value: unknown, key = ''): Fields {
  if (typeof value === 'string') return [[key, value]];
  if (Array.isArray(value)) return value.flatMap((v) => jsonFields(v, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => jsonFields(v, k));
  return [];
}

/** The `-option value` pairs of an .args file: one per line after the environment, shell single quotes removed. */
export function argPairs(text: string): Array<[string, string]> {
  const lines = text.split('\n').map((l) => l.replace(/ \\$/, ''));
  const start = lines.findIndex((l) => l.startsWith('/'));
  const out: Array<[string, string]> = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('-')) continue;
    const sp = line.indexOf(' ');
    if (sp < 0) {
      out.push([line, '']);
      continue;
    }
    let value = line.slice(sp + 1);
    if (value.startsWith("'") && value.endsWith("'")) value = value.slice(1, -1).replaceAll("'\\''", "'");
    out.push([line.slice(0, sp), value]);
  }
  return out;
}

/** The type a rule set is chosen by: the bare first value, or the JSON/QemuOpts type key. */
function typeOf(option: string, fields: Fields): string {
  const bare = get(fields, '');
  if (option === '-vnc' || option === '-spice' || option === '-display') return '*';
  return get(fields, 'qom-type') ?? get(fields, 'driver') ?? get(fields, 'type') ?? bare ?? '*';
}

export function argPaths(text: string): ArgPath[] {
  const out: ArgPath[] = [];
  for (const [option, value] of argPairs(text)) {
    if (GUEST_SIDE.has(option)) continue;
    const whole = WHOLE_VALUE[option];
    if (whole) {
      out.push({ where: option, path: value, need: whole });
      continue;
    }
    let fields: Fields = value.startsWith('{') ? jsonFields(JSON.parse(value)) : splitQemuOpts(value);
    // -vnc's socket: `unix:PATH` as its bare value or `vnc=unix:PATH`.
    if (option === '-vnc') {
      fields = fields.map(([k, v]) => (/^unix:/.test(v) && (k === '' || k === 'vnc') ? ['unix', v.slice(5)] : [k, v]));
    }
    const type = typeOf(option, fields);
    const rules = { ...PATH_KEYS[option]?.['*'], ...PATH_KEYS[option]?.[type] };
    for (const [key, v] of fields) {
      const rule = rules[key];
      const where = `${option} ${type} ${key}`.replace(' * ', ' ');
      const isPath = v.startsWith('/') || (ANY_VALUE.has(`${option} ${type} ${key}`) && v !== '');
      if (!isPath) continue;
      if (rule === undefined) throw new Error(`no rule for the path ${v} of ${where}: add one to PATH_KEYS`);
      if (typeof rule === 'object') continue;
      const need = typeof rule === 'function' ? rule(fields) : rule;
      const node = get(fields, 'node-name');
      out.push(node ? { where, path: v, need, node } : { where, path: v, need });
    }
  }
  return out;
}
