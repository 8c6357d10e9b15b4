/**
 * libvirt's ABI stability check of a destination XML (`virsh migrate --xml`)
 * against the running guest: virDomainDefCheckABIStabilityFlags
 * (src/conf/domain_conf.c) as qemuMigrationSrcBeginXML runs it through
 * qemuDomainCheckABIStability, with VIR_DOMAIN_DEF_ABI_CHECK_SKIP_VOLATILE (the
 * current balloon size is not compared). Checked in the function's own order,
 * and the first difference is the one reported, in libvirt's words.
 *
 * libvirt compares the two definitions after parsing, so it sees defaults and
 * devices its post-parse adds (implicit controllers, PS/2 inputs, a video for
 * the graphics, a memballoon, a console for serial 0, PCI addresses). The
 * guest's XML here is libvirt's own formatting and holds them; a destination
 * XML written by hand may leave them out. So a rule here only reports what
 * parsing cannot fill in the same: a value the destination XML gives that
 * differs, a default libvirt always picks the same way (disk device `disk`),
 * a value libvirt makes up at random (a missing MAC or UUID), a count that
 * post-parse cannot change. Not modelled: the guest CPU (virCPUDefIsEqual),
 * the hypervisor features and the per-driver hook (qemuDomainABIStability,
 * its memory backing and vCPU checks); libvirt itself still refuses those.
 */
import type { XmlNode } from '../binding/xml.js';
import { kib, parseCpuSet, UNIT_KIB } from './libvirt-xml.js';

type Get = (n: XmlNode) => string | null;

/**
 * One compared value: what libvirt calls it and how to read it. `fallback` is
 * the value libvirt gives it when the XML leaves it out; `undefined` means the
 * default depends on the host or the rest of the definition, so a side that
 * leaves it out is not compared.
 */
interface Field {
  label: string;
  get: Get;
  fallback?: string;
}

/** A device kind libvirt counts and then compares one by one, in document order. */
interface Kind {
  /** libvirt's word in "Target domain … count %zu does not match source %zu". */
  count: string;
  xpath: string;
  fields: Field[];
  /** Post-parse may add some: compare the count only when the destination names at least one. */
  implicit?: boolean;
  address?: boolean;
}

const a =
  (name: string): Get =>
  (n) =>
    n.attr(name);
const at =
  (path: string, name: string): Get =>
  (n) =>
    n.node(path)?.attr(name) ?? null;
const has =
  (path: string): Get =>
  (n) =>
    n.node(path) ? 'yes' : 'no';
const text =
  (path: string): Get =>
  (n) =>
    n.node(path)?.text.trim() || null;
const size =
  (path: string): Get =>
  (n) => {
    const v = kib(n, path);
    return v === null ? null : String(v);
  };

/** virDomainDeviceInfoCheckABIStability: the address type and, per type, the fields it compares. */
const ADDRESS_FIELDS: Record<string, string[]> = {
  pci: ['domain', 'bus', 'slot', 'function'],
  drive: ['controller', 'bus', 'unit'],
  'virtio-serial': ['controller', 'bus', 'port'],
  ccid: ['controller', 'slot'],
  isa: ['iobase', 'irq'],
  dimm: ['slot', 'base'],
};

const number = (v: string | null) => (v === null ? 0 : Number.parseInt(v, v.startsWith('0x') ? 16 : 10));

function addressProblem(src: XmlNode, dst: XmlNode): string | null {
  const s = src.node('address');
  const d = dst.node('address');
  // An address the destination XML leaves out is assigned at parse: not certain to differ.
  if (!s || !d) return null;
  const type = s.attr('type') ?? '';
  if (type !== (d.attr('type') ?? '')) {
    return `Target device address type ${d.attr('type') ?? 'none'} does not match source ${type || 'none'}`;
  }
  const fields = ADDRESS_FIELDS[type] ?? [];
  const show = (n: XmlNode) => fields.map((f) => n.attr(f) ?? '0').join(':');
  if (fields.some((f) => number(s.attr(f)) !== number(d.attr(f)))) {
    return `Target device ${type} address ${show(d)} does not match source ${show(s)}`;
  }
  const acpi = (n: XmlNode) => n.node('acpi')?.attr('index') ?? null;
  if (acpi(src) !== null && acpi(dst) !== null && acpi(src) !== acpi(dst)) {
    return `Target ACPI index '${acpi(dst)}' does not match source '${acpi(src)}'`;
  }
  return null;
}

function fieldProblem(what: string, f: Field, src: XmlNode, dst: XmlNode): string | null {
  const s = f.get(src) ?? f.fallback;
  const d = f.get(dst) ?? f.fallback;
  if (s === undefined || d === undefined || s === d) return null;
  return `Target ${[what, f.label].filter(Boolean).join(' ')} ${d || '(none)'} does not match source ${s || '(none)'}`;
}

const KINDS: Array<[what: string, kind: Kind]> = [
  [
    'disk',
    {
      count: 'disk',
      xpath: 'devices/disk',
      address: true,
      fields: [
        { label: 'device', get: a('device'), fallback: 'disk' },
        { label: 'bus', get: at('target', 'bus') },
        { label: '', get: at('target', 'dev') },
        { label: 'serial', get: text('serial'), fallback: '' },
        { label: 'wwn', get: text('wwn'), fallback: '' },
        { label: 'access mode (readonly)', get: has('readonly') },
        { label: 'model', get: a('model'), fallback: '' },
        { label: 'rotation rate', get: at('target', 'rotation_rate'), fallback: '' },
        { label: 'queue count', get: at('driver', 'queues'), fallback: '' },
        { label: 'queue size', get: at('driver', 'queue_size'), fallback: '' },
      ],
    },
  ],
  // Controllers are compared by (type, index) below: post-parse adds implicit ones.
  [
    'filesystem',
    {
      count: 'filesystem',
      xpath: 'devices/filesystem',
      address: true,
      fields: [
        { label: 'guest target', get: at('target', 'dir') },
        { label: 'access mode (readonly)', get: has('readonly') },
        { label: 'model', get: a('model'), fallback: '' },
      ],
    },
  ],
  [
    'network card',
    {
      count: 'net card',
      xpath: 'devices/interface',
      address: true,
      fields: [
        // A missing MAC is generated at random: never the guest's.
        { label: 'mac', get: (n) => n.node('mac')?.attr('address')?.toLowerCase() ?? null, fallback: '(random)' },
        { label: 'model', get: at('model', 'type'), fallback: '' },
        { label: 'MTU', get: at('mtu', 'size'), fallback: '' },
      ],
    },
  ],
  [
    'input device',
    {
      // PS/2 mouse and keyboard are implicit on x86: libvirt adds them to both sides.
      count: 'input device',
      xpath: "devices/input[not(@bus='ps2')]",
      address: true,
      fields: [
        { label: 'type', get: a('type') },
        { label: 'bus', get: a('bus') },
        { label: 'model', get: a('model'), fallback: '' },
      ],
    },
  ],
  [
    'sound card',
    { count: 'sound card', xpath: 'devices/sound', address: true, fields: [{ label: 'model', get: a('model') }] },
  ],
  [
    'video card',
    {
      count: 'video card',
      xpath: 'devices/video',
      implicit: true,
      address: true,
      fields: [
        { label: 'model', get: at('model', 'type') },
        { label: 'ram', get: at('model', 'ram') },
        { label: 'vram', get: at('model', 'vram') },
        { label: 'vram64', get: at('model', 'vram64') },
        { label: 'vgamem', get: at('model', 'vgamem') },
        { label: 'heads', get: at('model', 'heads') },
      ],
    },
  ],
  [
    'host device',
    {
      // An <interface type='hostdev'> is a host device too.
      count: 'host device',
      xpath: "devices/hostdev | devices/interface[@type='hostdev']",
      fields: [],
    },
  ],
  ['smartcard', { count: 'smartcard', xpath: 'devices/smartcard', address: true, fields: [] }],
  [
    'serial',
    {
      count: 'serial port',
      xpath: 'devices/serial',
      address: true,
      fields: [
        { label: 'type', get: at('target', 'type') },
        { label: 'model', get: at('target/model', 'name') },
        { label: 'port', get: at('target', 'port') },
      ],
    },
  ],
  [
    'parallel',
    {
      count: 'parallel port',
      xpath: 'devices/parallel',
      address: true,
      fields: [{ label: 'port', get: at('target', 'port') }],
    },
  ],
  [
    'channel',
    {
      count: 'channel',
      xpath: 'devices/channel',
      address: true,
      fields: [
        { label: 'type', get: at('target', 'type') },
        { label: 'name', get: at('target', 'name'), fallback: '' },
      ],
    },
  ],
  [
    'console',
    {
      // Post-parse adds the console that mirrors serial 0.
      count: 'console',
      xpath: 'devices/console',
      implicit: true,
      fields: [{ label: 'type', get: at('target', 'type') }],
    },
  ],
  ['hub', { count: 'hub device', xpath: 'devices/hub', address: true, fields: [{ label: 'type', get: a('type') }] }],
  [
    'redirected device',
    {
      count: 'redirected devices',
      xpath: 'devices/redirdev',
      address: true,
      fields: [{ label: 'bus', get: a('bus') }],
    },
  ],
  ['redirfilter', { count: 'USB redirection filter', xpath: 'devices/redirfilter', fields: [] }],
  [
    'watchdog',
    { count: 'watchdog', xpath: 'devices/watchdog', address: true, fields: [{ label: 'model', get: a('model') }] },
  ],
  [
    'balloon',
    {
      // Post-parse adds the default balloon when the XML has none.
      count: 'memory balloon',
      xpath: 'devices/memballoon',
      implicit: true,
      address: true,
      fields: [
        { label: 'model', get: a('model') },
        { label: 'autodeflate', get: a('autodeflate'), fallback: '' },
        { label: 'free page reporting', get: a('freePageReporting'), fallback: '' },
      ],
    },
  ],
  ['RNG', { count: 'RNG device', xpath: 'devices/rng', address: true, fields: [{ label: 'model', get: a('model') }] }],
  [
    'panic',
    {
      count: 'panic device',
      xpath: 'devices/panic',
      implicit: true,
      address: true,
      fields: [{ label: 'model', get: a('model') }],
    },
  ],
  [
    'shared memory',
    {
      count: 'shared memory device',
      xpath: 'devices/shmem',
      address: true,
      fields: [
        { label: 'role', get: a('role'), fallback: '' },
        { label: 'model', get: at('model', 'type') },
        { label: 'size', get: size('size') },
        { label: 'server', get: has('server') },
      ],
    },
  ],
  [
    'TPM',
    {
      count: 'TPM device',
      xpath: 'devices/tpm',
      address: true,
      fields: [
        { label: 'type', get: at('backend', 'type') },
        { label: 'model', get: a('model') },
        { label: 'version', get: at('backend', 'version') },
      ],
    },
  ],
  [
    'memory device',
    {
      count: 'memory device',
      xpath: 'devices/memory',
      address: true,
      fields: [
        { label: 'model', get: a('model') },
        { label: 'targetNode', get: text('target/node'), fallback: '' },
        { label: 'size', get: size('target/size') },
        { label: 'block size', get: size('target/block'), fallback: '' },
        { label: 'requested size', get: size('target/requested'), fallback: '' },
      ],
    },
  ],
  ['IOMMU', { count: 'IOMMU device', xpath: 'devices/iommu', fields: [{ label: 'model', get: a('model') }] }],
  ['vsock', { count: 'vsock device', xpath: 'devices/vsock', fields: [{ label: 'model', get: a('model') }] }],
];

function kindProblem(what: string, kind: Kind, src: XmlNode, dst: XmlNode): string | null {
  const s = src.nodes(kind.xpath);
  const d = dst.nodes(kind.xpath);
  if (kind.implicit && d.length === 0) return null;
  if (s.length !== d.length) {
    return `Target domain ${kind.count} count ${d.length} does not match source ${s.length}`;
  }
  for (let i = 0; i < s.length; i++) {
    for (const f of kind.fields) {
      const problem = fieldProblem(what, f, s[i]!, d[i]!);
      if (problem) return problem;
    }
    if (kind.address) {
      const problem = addressProblem(s[i]!, d[i]!);
      if (problem) return problem;
    }
  }
  return null;
}

/** virDomainControllerDefCheckABIStability for each controller both XMLs name, matched by type and index. */
function controllerProblem(src: XmlNode, dst: XmlNode): string | null {
  for (const d of dst.nodes('devices/controller')) {
    const type = d.attr('type') ?? '';
    const index = d.attr('index') ?? '0';
    const s = src
      .nodes('devices/controller')
      .find((c) => c.attr('type') === type && (c.attr('index') ?? '0') === index);
    if (!s) continue;
    for (const f of [
      { label: 'model', get: a('model') },
      { label: 'ports', get: a('ports') },
      { label: 'vectors', get: a('vectors') },
    ]) {
      const problem = fieldProblem(`controller ${type} ${index}`, f, s, d);
      if (problem) return problem;
    }
    const problem = addressProblem(s, d);
    if (problem) return problem;
  }
  return null;
}

/** The initial memory (virDomainDefGetMemoryInitial): the NUMA cells' sum, else <memory> less the memory devices. */
function initialMemoryKiB(d: XmlNode): number | null {
  const cells = d.nodes('cpu/numa/cell');
  if (cells.length) return cells.reduce((sum, c) => sum + cellKiB(c), 0);
  const total = kib(d, 'memory');
  if (total === null) return null;
  return total - d.nodes('devices/memory').reduce((sum, m) => sum + (kib(m, 'target/size') ?? 0), 0);
}

/** Each vCPU's online state and hotplug order, as virDomainDefVcpuCheckAbiStability compares them. */
function vcpus(d: XmlNode): { max: number; online: boolean[]; order: number[] } {
  const max = Number(d.node('vcpu')?.text.trim() || '1');
  const current = Number(d.node('vcpu')?.attr('current') ?? max);
  const listed = d.nodes('vcpus/vcpu');
  const online = Array.from({ length: max }, (_, i) => i < current);
  const order = Array.from({ length: max }, () => 0);
  for (const v of listed) {
    const id = Number(v.attr('id'));
    if (!(id >= 0 && id < max)) continue;
    online[id] = v.attr('enabled') !== 'no';
    order[id] = Number(v.attr('order') ?? 0);
  }
  return { max, online, order };
}

/** A NUMA cell's `memory` attribute in KiB (its `unit` beside it; KiB by default). */
const cellKiB = (c: XmlNode) =>
  Number(c.attr('memory') ?? 0) * (UNIT_KIB[(c.attr('unit') ?? 'kib').toLowerCase()] ?? 1);

const cellCpus = (c: XmlNode) => parseCpuSet(c.attr('cpus') ?? '').join(',');

/** The first difference virDomainDefCheckABIStabilityFlags reports between the guest (`src`) and `dst`, or null. */
export function abiStabilityProblem(src: XmlNode, dst: XmlNode): string | null {
  const virt = [src.attr('type'), dst.attr('type')];
  if (virt[0] !== virt[1]) return `Target domain virt type ${virt[1]} does not match source ${virt[0]}`;
  const uuid = [text('uuid')(src)?.toLowerCase(), text('uuid')(dst)?.toLowerCase()];
  if (uuid[1] === undefined) return `Target domain uuid (random: the XML has none) does not match source ${uuid[0]}`;
  if (uuid[0] !== uuid[1]) return `Target domain uuid ${uuid[1]} does not match source ${uuid[0]}`;
  const genid = [src.node('genid'), dst.node('genid')];
  if (Boolean(genid[0]) !== Boolean(genid[1])) return 'Target domain requested genid does not match source';
  const gid = genid.map((g) => g?.text.trim().toLowerCase() ?? '');
  // An empty <genid/> asks libvirt to generate one: never the guest's.
  if (genid[0] && gid[0] !== gid[1]) {
    return `Target domain genid ${gid[1] || '(generated)'} does not match source ${gid[0]}`;
  }
  const name = [text('name')(src), text('name')(dst)];
  if (name[0] !== name[1]) return `Target domain name '${name[1]}' does not match source '${name[0]}'`;

  // virDomainMemtuneCheckABIStability (current memory: volatile, skipped).
  const mem = [initialMemoryKiB(src), initialMemoryKiB(dst)];
  if (mem[0] !== null && mem[1] !== null && mem[0] !== mem[1]) {
    return `Target domain max memory ${mem[1]} does not match source ${mem[0]}`;
  }
  const maxMem = [size('maxMemory')(src) ?? '0', size('maxMemory')(dst) ?? '0'];
  if (maxMem[0] !== maxMem[1]) return `Target maximum memory size '${maxMem[1]}' doesn't match source '${maxMem[0]}'`;
  const slots = [at('maxMemory', 'slots')(src) ?? '0', at('maxMemory', 'slots')(dst) ?? '0'];
  if (slots[0] !== slots[1]) return `Target domain memory slots count '${slots[1]}' doesn't match source '${slots[0]}'`;

  // virDomainNumaCheckABIStability
  const cells = [src.nodes('cpu/numa/cell'), dst.nodes('cpu/numa/cell')] as const;
  if (cells[0].length !== cells[1].length) {
    return `Target NUMA node count '${cells[1].length}' doesn't match source '${cells[0].length}'`;
  }
  for (let i = 0; i < cells[0].length; i++) {
    const [s, d] = [cells[0][i]!, cells[1][i]!];
    if (cellKiB(s) !== cellKiB(d)) {
      return `Size of target NUMA node ${i} (${cellKiB(d)}) doesn't match source (${cellKiB(s)})`;
    }
    if (cellCpus(s) !== cellCpus(d)) return `Processor mask of target NUMA node ${i} doesn't match source`;
  }

  // virDomainDefVcpuCheckAbiStability
  const cpu = [vcpus(src), vcpus(dst)] as const;
  if (cpu[0].max !== cpu[1].max) return `Target domain vCPU max ${cpu[1].max} does not match source ${cpu[0].max}`;
  for (let i = 0; i < cpu[0].max; i++) {
    if (cpu[0].online[i] !== cpu[1].online[i]) {
      return `State of vCPU '${i}' differs between source and destination definitions`;
    }
    if (cpu[0].order[i] !== cpu[1].order[i]) {
      return `vcpu enable order of vCPU '${i}' differs between source and destination definitions`;
    }
  }

  const os = (n: XmlNode) => ({
    type: text('os/type')(n),
    arch: at('os/type', 'arch')(n),
    machine: at('os/type', 'machine')(n),
  });
  const [so, dos] = [os(src), os(dst)];
  if (so.type !== dos.type) return `Target domain OS type ${dos.type} does not match source ${so.type}`;
  // Left out, the arch is the host's and the machine the arch's default: compared when given.
  if (dos.arch && so.arch && dos.arch !== so.arch) {
    return `Target domain architecture ${dos.arch} does not match source ${so.arch}`;
  }
  // A versioned machine type is never an alias (`pc`, `q35` are, and parse to the versioned name).
  if (dos.machine && so.machine && dos.machine !== so.machine && /\d\.\d/.test(dos.machine)) {
    return `Target domain machine type ${dos.machine} does not match source ${so.machine}`;
  }
  const smbios = [at('os/smbios', 'mode')(src) ?? 'none', at('os/smbios', 'mode')(dst) ?? 'none'];
  if (smbios[0] !== smbios[1]) return `Target domain SMBIOS mode ${smbios[1]} does not match source ${smbios[0]}`;

  // Timers: count, then each one's name, presence and (tsc) frequency and mode.
  const timers = [src.nodes('clock/timer'), dst.nodes('clock/timer')] as const;
  if (timers[0].length !== timers[1].length) return 'Target domain timers do not match source';
  for (let i = 0; i < timers[0].length; i++) {
    for (const f of [
      { label: 'name', get: a('name') },
      { label: 'present', get: a('present'), fallback: 'absent' },
      { label: 'frequency', get: a('frequency'), fallback: '0' },
      { label: 'mode', get: a('mode'), fallback: '' },
    ]) {
      const problem = fieldProblem('timer', f, timers[0][i]!, timers[1][i]!);
      if (problem) return problem;
    }
  }

  if (src.nodes('sysinfo').length !== dst.nodes('sysinfo').length) {
    return 'Target domain count of sysinfo does not match source';
  }

  for (const [what, kind] of KINDS) {
    const problem = kindProblem(what, kind, src, dst);
    if (problem) return problem;
    if (what === 'disk') {
      const c = controllerProblem(src, dst);
      if (c) return c;
    }
  }
  return null;
}
