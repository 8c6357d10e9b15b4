/**
 * The host paths a guest's definition names outside its disks, and what the
 * destination QEMU (or libvirt for it) does with each when it starts for an
 * incoming migration. Read from libvirt's QEMU command-line builder
 * (qemu_command.c: qemuBuildChardevCommand, qemuBuildRNGBackendProps,
 * qemuBuildInputEvdevProps, qemuBuildTPMBackendStr, qemuBuildFSDevCmd,
 * qemuBuildMemoryBackendProps, qemuBuildDomainLoaderPflashCommandLine,
 * qemuBuildSysinfoCommandLine, qemuBuildSmartcardCommandLine,
 * qemuBuildAudioCommandLine, qemuBuildRomProps) and qemu_process.c
 * (qemuPrepareNVRAM, qemuProcessPrepareHostStorage). Disks are the storage
 * checks' (their startupPolicy decides what libvirt drops), host devices the
 * device checks'. test/unit/host-paths-corpus.test.ts holds it to libvirt's
 * own corpus of domain XMLs and the QEMU command lines built from them.
 */
import type { XmlNode } from '../binding/xml.js';

/**
 * - `exists`: a file or directory that must already exist (kernel, loader, a
 *   9p export, an NVDIMM backing file);
 * - `created`: libvirt or QEMU creates it (a chardev file, a `<log file>`, a
 *   listening socket, the NVRAM copied from its template), so its directory
 *   must exist;
 * - `socket`: a UNIX socket another process must listen on (a connecting
 *   chardev, a vhost-user client, an ivshmem server);
 * - `device`: a device node or FIFO (a host serial line, evdev, TPM
 *   passthrough, an rng device, a pipe chardev).
 */
export type HostPathNeed = 'exists' | 'created' | 'socket' | 'device';

export interface HostPathModel {
  path: string;
  need: HostPathNeed;
  /** What names it: `serial 0 log`, `os loader`, `filesystem /mnt`, … */
  usedBy: string;
}

/** Device nodes every Linux host has (an rng backend's usual /dev/urandom). */
export const UNIVERSAL_DEVICES = new Set(['/dev/urandom', '/dev/random', '/dev/null', '/dev/zero']);

function attr(node: XmlNode | null, name: string): string | null {
  const value = node?.attr(name) ?? null;
  return value === '' ? null : value;
}

/**
 * A character device's host paths by its `type` (qemuBuildChardevCommand), and
 * its `<log file>`. `type` is the device's attribute, or the `<source>`'s for
 * a TPM's external backend.
 */
function chardevPaths(dev: XmlNode, usedBy: string, type = dev.attr('type') ?? 'pty'): HostPathModel[] {
  const out: HostPathModel[] = [];
  const source = dev.node('source');
  const path = attr(source, 'path');
  // libvirt makes and labels its own per-domain channel directory (qemuProcessPrepareHostChannel...).
  if (path && !path.includes('/channel/target/domain-')) {
    if (type === 'file') out.push({ path, need: 'created', usedBy });
    else if (type === 'unix') {
      // virDomainChrSourceDefParseUnix: mode defaults to connect; bind makes QEMU create and listen.
      out.push({ path, need: attr(source, 'mode') === 'bind' ? 'created' : 'socket', usedBy });
    } else if (type === 'dev') out.push({ path, need: 'device', usedBy });
    else if (type === 'pipe') out.push({ path, need: 'device', usedBy: `${usedBy} (pipe)` });
  }
  const log = attr(dev.node('log'), 'file');
  if (log) out.push({ path: log, need: 'created', usedBy: `${usedBy} log` });
  return out;
}

const CHARDEVS = ['serial', 'parallel', 'console', 'channel'] as const;

/**
 * Tables and blobs QEMU reads into the guest's firmware: the SLIC ACPI table
 * (qemuBuildOSCommandLine, -acpitable) and fw_cfg files
 * (qemuBuildSysinfoCommandLine, -fw_cfg name=…,file=…).
 */
function firmwareTablePaths(d: XmlNode): HostPathModel[] {
  const out: HostPathModel[] = [];
  for (const table of d.nodes('os/acpi/table')) {
    const p = table.text.trim();
    if (p) out.push({ path: p, need: 'exists', usedBy: `acpi table ${table.attr('type') ?? ''}`.trim() });
  }
  for (const entry of d.nodes("sysinfo[@type='fwcfg']/entry")) {
    const p = attr(entry, 'file');
    if (p) out.push({ path: p, need: 'exists', usedBy: `fw_cfg ${entry.attr('name') ?? ''}`.trim() });
  }
  return out;
}

/**
 * Device frontends with a host path of their own: smartcards, USB redirection
 * and an external TPM's chardev, audio backends, GL render nodes, option ROMs,
 * an ethernet interface's script, virtiofsd. What qemu_command.c makes of each:
 * qemuBuildSmartcardCommandLine (db=, default VIR_DOMAIN_SMARTCARD_DEFAULT_DATABASE),
 * qemuBuildRedirdevCommandLine, qemuBuildTPMBackendStr (external: a chardev),
 * qemuBuildAudioCommandLine (OSS dev, wav path; an ALSA dev is a PCM name),
 * qemuBuildGraphics*CommandLine (rendernode=), qemuBuildRomProps (romfile=);
 * qemuInterfaceEthernetConnect runs the script, qemuVirtioFSStart the binary.
 * Host devices' ROMs are the device checks'.
 */
function frontendPaths(d: XmlNode): HostPathModel[] {
  const out: HostPathModel[] = [];
  d.nodes('devices/smartcard').forEach((card, i) => {
    const mode = card.attr('mode');
    if (mode === 'host-certificates') {
      const db = card.node('database')?.text.trim() || '/etc/pki/nssdb';
      out.push({ path: db, need: 'exists', usedBy: `smartcard ${i} database` });
    } else if (mode === 'passthrough') out.push(...chardevPaths(card, `smartcard ${i}`));
  });
  d.nodes('devices/redirdev').forEach((r, i) => out.push(...chardevPaths(r, `redirdev ${i}`)));
  d.nodes("devices/tpm/backend[@type='external']").forEach((b, i) => {
    out.push(...chardevPaths(b, `tpm ${i} external`, b.node('source')?.attr('type') ?? 'unix'));
  });
  d.nodes('devices/audio').forEach((audio) => {
    const id = `audio ${audio.attr('id') ?? ''}`.trim();
    const type = audio.attr('type');
    if (type === 'oss') {
      for (const dir of ['input', 'output'] as const) {
        const dev = attr(audio.node(dir), 'dev');
        if (dev) out.push({ path: dev, need: 'device', usedBy: `${id} ${dir}` });
      }
    }
    // Relative to the destination QEMU's working directory when not absolute.
    const file = type === 'file' ? attr(audio, 'path') : null;
    if (file) out.push({ path: file, need: 'created', usedBy: `${id} file` });
  });
  d.nodes('devices/graphics').forEach((g, i) => {
    const node = attr(g.node('gl'), 'rendernode');
    if (node) out.push({ path: node, need: 'device', usedBy: `graphics ${i} (${g.attr('type') ?? '?'}) rendernode` });
    // The older spelling of <listen type='socket' socket=…/>.
    const sock = attr(g, 'socket');
    if (sock) out.push({ path: sock, need: 'created', usedBy: `graphics ${i} socket` });
  });
  for (const rom of d.nodes("devices/*[not(self::hostdev) and not(self::interface[@type='hostdev'])]/rom")) {
    const p = attr(rom, 'file');
    if (p) out.push({ path: p, need: 'exists', usedBy: `${rom.string('name(..)')} rom` });
  }
  d.nodes("devices/interface[@type='ethernet']/script").forEach((script, i) => {
    const p = attr(script, 'path');
    if (p) out.push({ path: p, need: 'exists', usedBy: `ethernet interface ${i} script` });
  });
  for (const fs of d.nodes('devices/filesystem[binary]')) {
    const p = attr(fs.node('binary'), 'path');
    if (p)
      out.push({ path: p, need: 'exists', usedBy: `filesystem ${attr(fs.node('target'), 'dir') ?? '?'} virtiofsd` });
  }
  return out;
}

export function parseHostPaths(d: XmlNode): HostPathModel[] {
  const out: HostPathModel[] = [];
  const text = (xpath: string) => {
    const n = d.node(xpath);
    const t = n?.text.trim() ?? '';
    return t === '' ? null : t;
  };
  const loader = text('os/loader');
  if (loader) out.push({ path: loader, need: 'exists', usedBy: 'os loader' });
  // qemuPrepareNVRAM: an existing NVRAM file is used as is; a missing one is copied from its template.
  // libvirt 9.0 also writes it as <nvram type='file'><source file=…/></nvram> (type='block': dev).
  const nvram = text('os/nvram') ?? attr(d.node('os/nvram/source'), 'file');
  if (nvram) out.push({ path: nvram, need: 'created', usedBy: 'os nvram' });
  const nvramDev = attr(d.node("os/nvram[@type='block']/source"), 'dev');
  if (nvramDev) out.push({ path: nvramDev, need: 'exists', usedBy: 'os nvram' });
  for (const what of ['kernel', 'initrd', 'dtb'] as const) {
    const p = text(`os/${what}`);
    if (p) out.push({ path: p, need: 'exists', usedBy: `os ${what}` });
  }
  for (const kind of CHARDEVS) {
    d.nodes(`devices/${kind}`).forEach((dev, i) => {
      const target = attr(dev.node('target'), 'name') ?? String(i);
      out.push(...chardevPaths(dev, `${kind} ${target}`));
    });
  }
  d.nodes('devices/rng').forEach((rng, i) => {
    const backend = rng.node('backend');
    if (!backend) return;
    const model = backend.attr('model');
    if (model === 'random') {
      const dev = backend.text.trim() || '/dev/urandom';
      out.push({ path: dev, need: 'device', usedBy: `rng ${i} backend` });
    } else if (model === 'egd') out.push(...chardevPaths(backend, `rng ${i} egd backend`));
  });
  d.nodes('devices/input').forEach((input, i) => {
    const type = input.attr('type');
    const dev = type === 'evdev' ? attr(input.node('source'), 'dev') : attr(input.node('source'), 'evdev');
    if (dev) out.push({ path: dev, need: 'device', usedBy: `input ${i} (${type})` });
  });
  d.nodes('devices/tpm').forEach((tpm, i) => {
    const dev = attr(tpm.node('backend/device'), 'path');
    if (dev) out.push({ path: dev, need: 'device', usedBy: `tpm ${i} passthrough` });
  });
  for (const fs of d.nodes('devices/filesystem')) {
    const type = fs.attr('type') ?? 'mount';
    const target = attr(fs.node('target'), 'dir') ?? '?';
    const src = fs.node('source');
    // 'ram' has no host path; 'mount', 'file', 'block' name one that must exist.
    const p = attr(src, 'dir') ?? attr(src, 'file') ?? attr(src, 'dev');
    if (p && type !== 'ram') out.push({ path: p, need: 'exists', usedBy: `filesystem ${target}` });
    // virtiofs with an external daemon: its socket.
    const sock = attr(src, 'socket');
    if (sock) out.push({ path: sock, need: 'socket', usedBy: `filesystem ${target} virtiofsd socket` });
  }
  d.nodes('devices/memory').forEach((mem, i) => {
    const p = mem.node('source/path')?.text.trim();
    if (p) out.push({ path: p, need: 'exists', usedBy: `memory ${i} (${mem.attr('model') ?? '?'})` });
  });
  for (const shm of d.nodes('devices/shmem')) {
    const server = shm.node('server');
    if (server) {
      out.push({
        path: attr(server, 'path') ?? `/var/lib/libvirt/shmem-${shm.attr('name') ?? ''}-sock`,
        need: 'socket',
        usedBy: `shmem ${shm.attr('name') ?? ''} server`,
      });
    }
  }
  d.nodes("devices/interface[@type='vhostuser']").forEach((iface, i) => {
    const src = iface.node('source');
    const p = attr(src, 'path');
    // mode='client': QEMU connects to a server (OVS, a DPDK app); mode='server': QEMU listens.
    if (p)
      out.push({
        path: p,
        need: attr(src, 'mode') === 'server' ? 'created' : 'socket',
        usedBy: `vhost-user interface ${i}`,
      });
  });
  d.nodes('devices/graphics/listen[@type="socket"]').forEach((listen, i) => {
    const p = attr(listen, 'socket');
    if (p) out.push({ path: p, need: 'created', usedBy: `graphics ${i} socket` });
  });
  out.push(...firmwareTablePaths(d), ...frontendPaths(d));
  // A console mirroring serial 0 names the same path: one entry per path and need.
  const seen = new Set<string>();
  return out.filter((p) => {
    const key = `${p.need}|${p.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
