/**
 * The libvirt XML model: what the checks read from libvirt's XML documents
 * (the domain's migratable XML, capabilities, pools), parsed with the libxml2
 * XPath engine into typed fields. Every XPath the built-ins use lives here, so
 * a check reads fields, not XML. Pure functions of the XML: the run memoizes
 * them on its facts (src/pmc/parsed-facts.ts).
 */
import type { HypervisorTarget } from '../binding/connection.js';
import type { StoragePoolInfo } from '../binding/native-types.js';
import { XmlDocument, type XmlNode } from '../binding/xml.js';
import { parseHostPaths, type HostPathModel } from './host-paths.js';
import { InvalidArgumentError } from '../errors.js';

/** A node or document: both answer XPath relative to themselves. */
type Ctx = Pick<XmlNode, 'string' | 'nodes' | 'node'>;

/** The string value of `xpath`, or null when it is empty. */
function str(ctx: Ctx, xpath: string): string | null {
  const value = ctx.string(`string(${xpath})`);
  return value === '' ? null : value;
}

function num(ctx: Ctx, xpath: string): number | null {
  const value = str(ctx, xpath);
  if (value === null) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

export const UNIT_KIB: Record<string, number> = {
  b: 1 / 1024,
  bytes: 1 / 1024,
  k: 1,
  kib: 1,
  kb: 1000 / 1024,
  m: 1024,
  mib: 1024,
  mb: 1e6 / 1024,
  g: 1024 ** 2,
  gib: 1024 ** 2,
  gb: 1e9 / 1024,
  t: 1024 ** 3,
  tib: 1024 ** 3,
  tb: 1e12 / 1024,
};

/** A libvirt scaled integer (`<memory unit='MiB'>1024</memory>`) in KiB; libvirt's default unit is KiB. */
export function kib(ctx: Ctx, xpath: string, defaultUnit = 'kib'): number | null {
  const node = ctx.node(xpath);
  if (!node) return null;
  const value = Number(node.text.trim());
  if (!Number.isFinite(value)) return null;
  const unit = (node.attr('unit') ?? defaultUnit).toLowerCase();
  return value * (UNIT_KIB[unit] ?? 1);
}

/** Parses a libvirt CPU/node list ("0-3,^2,8") into numbers. */
export function parseCpuSet(text: string): number[] {
  const include = new Set<number>();
  const exclude = new Set<number>();
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const target = part.startsWith('^') ? exclude : include;
    const body = part.replace(/^\^/, '');
    const [a, b] = body.split('-').map((x) => Number(x.trim()));
    if (a === undefined || !Number.isInteger(a)) continue;
    const end = b !== undefined && Number.isInteger(b) ? b : a;
    for (let i = a; i <= end; i++) target.add(i);
  }
  return [...include].filter((i) => !exclude.has(i)).sort((x, y) => x - y);
}

export interface SecretRef {
  /** `disk vda auth`, `disk vda encryption`, `tpm`. */
  usedBy: string;
  uuid: string | null;
  usage: string | null;
  /** ceph, iscsi, volume, vtpm, passphrase … */
  type: string | null;
}

export interface DiskModel {
  /** file, block, network, volume, dir, nvme, vhostuser … */
  type: string;
  /** disk, cdrom, floppy, lun */
  device: string;
  target: string;
  /** The path of a file/block/dir disk, or null. */
  path: string | null;
  protocol: string | null;
  networkName: string | null;
  pool: string | null;
  volume: string | null;
  readonly: boolean;
  shareable: boolean;
  transient: boolean;
  cache: string | null;
  format: string | null;
  /** `<source startupPolicy>`: mandatory, requisite, optional, or null (the default, mandatory). */
  startupPolicy: string | null;
  secrets: SecretRef[];
}

export interface InterfaceModel {
  type: string;
  mac: string | null;
  network: string | null;
  bridge: string | null;
  portgroup: string | null;
  /** For type='direct': the host device. */
  dev: string | null;
  teaming: string | null;
}

export interface HostdevModel {
  mode: string;
  type: string | null;
  /** Set for an `<interface type='hostdev'>`. */
  fromInterface: boolean;
  teaming: string | null;
  description: string;
}

export interface CpuFeature {
  name: string;
  policy: string;
}

export interface CpuModel {
  mode: string;
  match: string | null;
  check: string | null;
  migratable: string | null;
  model: string | null;
  fallback: string | null;
  vendor: string | null;
  features: CpuFeature[];
  /** The `<cpu>` element as XML, for compareHypervisorCPU. */
  xml: string;
  /** NUMA cells of the guest and the host CPUs/nodes they name. */
  numaCells: { id: number; cpus: string; memoryKiB: number | null }[];
}

export interface DomainModel {
  name: string;
  uuid: string;
  /** kvm, qemu, test … */
  virtType: string;
  osType: string | null;
  arch: string | null;
  machine: string | null;
  emulator: string | null;
  memoryKiB: number;
  currentMemoryKiB: number;
  /** null: no huge pages; otherwise the page sizes the guest asks for (null size: the host default). */
  hugepages: { sizeKiB: number | null; nodeset: string | null }[] | null;
  vcpus: number;
  vcpuCpuset: string | null;
  vcpuPins: { vcpu: number; cpuset: string }[];
  emulatorPin: string | null;
  numatuneNodeset: string | null;
  memnodeNodesets: { cellid: number; nodeset: string }[];
  cpu: CpuModel | null;
  tscFrequency: number | null;
  disks: DiskModel[];
  interfaces: InterfaceModel[];
  hostdevs: HostdevModel[];
  /** `socket`: the UNIX socket of a virtiofsd started outside libvirt (`<source socket=…>`), else null. */
  filesystems: { driver: string | null; target: string | null; socket: string | null }[];
  shmems: { name: string; model: string | null; role: string | null }[];
  memoryDevices: { model: string | null; addressType: string | null }[];
  tpms: { model: string | null; backend: string | null; secret: string | null }[];
  /** `<interface type='vdpa'>` devices (libvirt: "vDPA devices cannot be migrated"). */
  vdpaInterfaces: string[];
  /** Host paths besides disks that the destination QEMU opens at start (src/model/host-paths.ts). */
  hostPaths: HostPathModel[];
}

function diskSecrets(disk: XmlNode, target: string): SecretRef[] {
  const refs: SecretRef[] = [];
  for (const s of disk.nodes('auth/secret | source/auth/secret')) {
    refs.push({ usedBy: `disk ${target} auth`, uuid: s.attr('uuid'), usage: s.attr('usage'), type: s.attr('type') });
  }
  for (const s of disk.nodes('encryption/secret | source/encryption/secret')) {
    refs.push({
      usedBy: `disk ${target} encryption`,
      uuid: s.attr('uuid'),
      usage: s.attr('usage'),
      type: s.attr('type'),
    });
  }
  return refs;
}

function parseDisk(disk: XmlNode): DiskModel {
  const target = disk.attr('dev') ?? str(disk, 'target/@dev') ?? '?';
  const type = disk.attr('type') ?? 'file';
  return {
    type,
    device: disk.attr('device') ?? 'disk',
    target,
    path: str(disk, 'source/@file') ?? str(disk, 'source/@dev') ?? str(disk, 'source/@dir'),
    protocol: str(disk, 'source/@protocol'),
    networkName: str(disk, 'source/@name'),
    pool: str(disk, 'source/@pool'),
    volume: str(disk, 'source/@volume'),
    readonly: disk.node('readonly') !== null,
    shareable: disk.node('shareable') !== null,
    transient: disk.node('transient') !== null,
    cache: str(disk, 'driver/@cache'),
    format: str(disk, 'driver/@type'),
    startupPolicy: str(disk, 'source/@startupPolicy'),
    secrets: diskSecrets(disk, target),
  };
}

function parseCpu(cpu: XmlNode): CpuModel {
  return {
    mode: cpu.attr('mode') ?? 'custom',
    match: cpu.attr('match'),
    check: cpu.attr('check'),
    migratable: cpu.attr('migratable'),
    model: str(cpu, 'model'),
    fallback: str(cpu, 'model/@fallback'),
    vendor: str(cpu, 'vendor'),
    features: cpu.nodes('feature').map((f) => ({ name: f.attr('name') ?? '', policy: f.attr('policy') ?? 'require' })),
    xml: cpu.xml,
    numaCells: cpu.nodes('numa/cell').map((c) => ({
      id: Number(c.attr('id') ?? 0),
      cpus: c.attr('cpus') ?? '',
      memoryKiB: c.attr('memory') === null ? null : kib(c, '@memory'),
    })),
  };
}

function describeHostdev(h: XmlNode, iface: boolean): string {
  if (iface) return `<interface type='hostdev'> ${str(h, 'mac/@address') ?? ''}`.trim();
  const type = h.attr('type');
  const addr = h.node('source/address');
  const where = addr
    ? ['domain', 'bus', 'slot', 'function']
        .map((a) => addr.attr(a))
        .filter((x) => x !== null)
        .join(':')
    : (str(h, 'source/vendor/@id') ?? str(h, 'source/adapter/@name') ?? str(h, 'source/address/@uuid') ?? '');
  return `<hostdev mode='${h.attr('mode') ?? 'subsystem'}' type='${type ?? ''}'> ${where}`.trim();
}

export function parseDomainXml(xml: string): DomainModel {
  const doc = XmlDocument.parse(xml);
  const d = doc.node('/domain');
  if (!d) throw new InvalidArgumentError('the domain XML has no <domain> root');
  const disks = d.nodes('devices/disk').map(parseDisk);
  const interfaces: InterfaceModel[] = d.nodes('devices/interface').map((i) => ({
    type: i.attr('type') ?? '',
    mac: str(i, 'mac/@address'),
    network: str(i, 'source/@network'),
    bridge: str(i, 'source/@bridge'),
    portgroup: str(i, 'source/@portgroup'),
    dev: str(i, 'source/@dev'),
    teaming: str(i, 'teaming/@type'),
  }));
  const hostdevs: HostdevModel[] = [
    ...d.nodes('devices/hostdev').map((h) => ({
      mode: h.attr('mode') ?? 'subsystem',
      type: h.attr('type'),
      fromInterface: false,
      teaming: null,
      description: describeHostdev(h, false),
    })),
    ...d.nodes("devices/interface[@type='hostdev']").map((i) => ({
      mode: 'subsystem',
      type: 'pci',
      fromInterface: true,
      teaming: str(i, 'teaming/@type'),
      description: describeHostdev(i, true),
    })),
  ];
  const hp = d.node('memoryBacking/hugepages');
  return {
    name: str(d, 'name') ?? '',
    uuid: str(d, 'uuid') ?? '',
    virtType: d.attr('type') ?? '',
    osType: str(d, 'os/type'),
    arch: str(d, 'os/type/@arch'),
    machine: str(d, 'os/type/@machine'),
    emulator: str(d, 'devices/emulator'),
    memoryKiB: kib(d, 'memory') ?? 0,
    currentMemoryKiB: kib(d, 'currentMemory') ?? kib(d, 'memory') ?? 0,
    hugepages: hp
      ? hp.nodes('page').length > 0
        ? hp
            .nodes('page')
            .map((p) => ({ sizeKiB: kib(p, '@size', p.attr('unit') ?? 'kib'), nodeset: p.attr('nodeset') }))
        : [{ sizeKiB: null, nodeset: null }]
      : null,
    vcpus: num(d, 'vcpu') ?? 1,
    vcpuCpuset: str(d, 'vcpu/@cpuset'),
    vcpuPins: d
      .nodes('cputune/vcpupin')
      .map((p) => ({ vcpu: Number(p.attr('vcpu') ?? 0), cpuset: p.attr('cpuset') ?? '' })),
    emulatorPin: str(d, 'cputune/emulatorpin/@cpuset'),
    numatuneNodeset: str(d, 'numatune/memory/@nodeset'),
    memnodeNodesets: d
      .nodes('numatune/memnode')
      .map((m) => ({ cellid: Number(m.attr('cellid') ?? 0), nodeset: m.attr('nodeset') ?? '' })),
    cpu: (() => {
      const cpu = d.node('cpu');
      return cpu ? parseCpu(cpu) : null;
    })(),
    tscFrequency: num(d, "clock/timer[@name='tsc']/@frequency"),
    disks,
    interfaces,
    hostdevs,
    filesystems: d.nodes('devices/filesystem').map((f) => ({
      driver: str(f, 'driver/@type'),
      target: str(f, 'target/@dir'),
      socket: str(f, 'source/@socket'),
    })),
    shmems: d.nodes('devices/shmem').map((s) => ({
      name: s.attr('name') ?? '',
      model: str(s, 'model/@type'),
      role: s.attr('role'),
    })),
    memoryDevices: d
      .nodes('devices/memory')
      .map((m) => ({ model: m.attr('model'), addressType: str(m, 'address/@type') })),
    tpms: d.nodes('devices/tpm').map((t) => ({
      model: t.attr('model'),
      backend: str(t, 'backend/@type'),
      secret: str(t, 'backend/encryption/@secret'),
    })),
    vdpaInterfaces: interfaces.filter((i) => i.type === 'vdpa').map((i) => i.dev ?? i.mac ?? 'vdpa'),
    hostPaths: parseHostPaths(d),
  };
}

export interface GuestPlatform {
  osType: string;
  arch: string;
  emulator: string | null;
  machines: string[];
  /** Virt types (`<domain type>`) and their own emulator/machines when they differ. */
  domains: { type: string; emulator: string | null; machines: string[] }[];
}

export interface HostCapabilities {
  uuid: string | null;
  arch: string | null;
  cpuModel: string | null;
  cpuVendor: string | null;
  cpuFeatures: string[];
  /** Host TSC: frequency in Hz and whether it can scale. */
  tsc: { frequency: number; scaling: string | null } | null;
  /** Page sizes (KiB) the host offers. */
  pageSizesKiB: number[];
  /** NUMA cell ids and CPU ids from the topology. */
  cells: number[];
  cpuIds: number[];
  guests: GuestPlatform[];
}

export function parseCapabilities(xml: string): HostCapabilities {
  const doc = XmlDocument.parse(xml);
  const host = doc.node('/capabilities/host');
  if (!host) throw new InvalidArgumentError('the capabilities XML has no <host>');
  const tscNode = host.node("cpu/counter[@name='tsc']");
  return {
    uuid: str(host, 'uuid'),
    arch: str(host, 'cpu/arch'),
    cpuModel: str(host, 'cpu/model'),
    cpuVendor: str(host, 'cpu/vendor'),
    cpuFeatures: host
      .nodes('cpu/feature')
      .map((f) => f.attr('name') ?? '')
      .filter((n) => n !== ''),
    tsc: tscNode ? { frequency: Number(tscNode.attr('frequency') ?? 0), scaling: tscNode.attr('scaling') } : null,
    pageSizesKiB: host.nodes('cpu/pages').map((p) => Number(p.attr('size') ?? 0)),
    cells: host.nodes('topology/cells/cell').map((c) => Number(c.attr('id') ?? 0)),
    cpuIds: host.nodes('topology/cells/cell/cpus/cpu').map((c) => Number(c.attr('id') ?? 0)),
    guests: doc.nodes('/capabilities/guest').map((g) => ({
      osType: str(g, 'os_type') ?? '',
      arch: str(g, 'arch/@name') ?? '',
      emulator: str(g, 'arch/emulator'),
      machines: [
        ...g.nodes('arch/machine').map((m) => m.text.trim()),
        ...g.nodes('arch/machine[@canonical]').map((m) => m.attr('canonical') ?? ''),
      ],
      domains: g.nodes('arch/domain').map((dom) => ({
        type: dom.attr('type') ?? '',
        emulator: str(dom, 'emulator'),
        machines: dom.nodes('machine').map((m) => m.text.trim()),
      })),
    })),
  };
}

/** A storage volume's format as libvirt found it (`<target><format type>`: qcow2, raw, …), or null. */
export function parseVolumeFormat(xml: string): string | null {
  return str(XmlDocument.parse(xml), '/volume/target/format/@type');
}

/** The firmware images a host's domain capabilities list (`<os><loader><value>`): files that exist there. */
export function parseDomainCapabilitiesLoaders(xml: string): string[] {
  const doc = XmlDocument.parse(xml);
  return doc.nodes('/domainCapabilities/os/loader/value').map((v) => v.text.trim());
}

export interface PoolModel {
  name: string;
  type: string;
  active: boolean;
  targetPath: string | null;
  available: number;
  /** For netfs: the filesystem format (nfs, glusterfs, cifs). */
  sourceFormat: string | null;
}

/** The fields of a pool's XML the checks read. */
export function parsePoolXml(xml: string): Pick<PoolModel, 'type' | 'targetPath' | 'sourceFormat'> {
  const doc = XmlDocument.parse(xml);
  return {
    type: doc.string('string(/pool/@type)'),
    targetPath: str(doc, '/pool/target/path'),
    sourceFormat: str(doc, '/pool/source/format/@type'),
  };
}

/** A storage pool as libvirt lists it, with the fields of its XML the checks read. */
export function parsePool(pool: StoragePoolInfo, fromXml = parsePoolXml(pool.xml)): PoolModel {
  return { name: pool.name, active: pool.active, available: pool.available, ...fromXml };
}

/**
 * The hypervisor the guest needs (emulator, arch, machine, virt type), as
 * libvirt's per-hypervisor calls take it. One function for every such call, so
 * that the run's fact cache keys them alike and shares one fetch.
 */
export function hypervisorTargetOf(model: DomainModel): HypervisorTarget {
  let target = targetOfModel.get(model);
  if (!target) {
    const t: HypervisorTarget = {};
    if (model.emulator) t.emulator = model.emulator;
    if (model.arch) t.arch = model.arch;
    if (model.machine) t.machine = model.machine;
    if (model.virtType) t.virttype = model.virtType;
    target = Object.freeze(t);
    targetOfModel.set(model, target);
  }
  return target;
}

/** Models are shared and read-only (src/pmc/parsed-facts.ts): each one's target is made once (a plan asks per candidate). */
const targetOfModel = new WeakMap<DomainModel, HypervisorTarget>();
