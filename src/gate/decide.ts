/**
 * The gate's decision (docs/hook.md): whether this host can take an incoming
 * guest, from its definition and this host's own files alone. It runs inside
 * libvirt's hook, while the daemon waits for it, so it never asks libvirt (a
 * deadlock) and never connects to or opens for writing anything it looks at:
 * it only lstat()s and stat()s. Here nothing is "not verifiable": every file
 * the definition names is on this host, to be looked at.
 */
import { constants as fsConstants, accessSync, lstatSync, readFileSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { native } from '../binding/native.js';
import type { XmlDocument, XmlNode } from '../binding/xml.js';
import { parseHostPaths, type HostPathModel } from '../model/host-paths.js';
import type { CheckFile } from '../pmc/check-file.js';
import { PmcError } from '../errors.js';

export type GateSeverity = 'critical' | 'warning' | 'info';

/** One failing check of the gate: a line an operator can act on. */
export interface GateProblem {
  /** `gate.host-path`, `gate.emulator`, `gate.bridge`, `gate.hugepages`, or a check file's check. */
  check: string;
  severity: GateSeverity;
  /** What is wrong and what to do, in one line. */
  message: string;
  /** A check file that could not decide (an error, not a failure): the gate failed itself. */
  error?: boolean;
}

export interface GateDecision {
  guest: string;
  uuid: string;
  /** Every failing check; the verdict follows from them and the policy. */
  problems: GateProblem[];
  /** How many checks the gate made (every path, bridge, page size and check-file check). */
  checked: number;
}

/** What the host has at a path, against what the guest's QEMU needs of it there. */
function pathProblem(p: HostPathModel, host: string): string | null {
  if (!path.isAbsolute(p.path)) return `${p.usedBy}: ${p.path} is not an absolute path`;
  const st = statOrNull(p.path);
  switch (p.need) {
    case 'exists':
      return st ? null : `${p.usedBy}: ${p.path} does not exist on ${host} (copy it there or change the definition)`;
    case 'created': {
      const dir = path.dirname(p.path);
      const dst = statOrNull(dir);
      if (dst?.isDirectory()) return null;
      return dst
        ? `${p.usedBy}: ${dir}, the directory of ${p.path}, is not a directory on ${host}`
        : `${p.usedBy}: directory ${dir} (for ${p.path}) does not exist on ${host} (create it there, writable by the guest's QEMU)`;
    }
    case 'socket':
      if (st?.isSocket()) return null;
      return st
        ? `${p.usedBy}: ${p.path} on ${host} is not a socket`
        : `${p.usedBy}: socket ${p.path} does not exist on ${host} (start the service that listens there)`;
    case 'device':
      if (st && (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO())) return null;
      return st
        ? `${p.usedBy}: ${p.path} on ${host} is not a device node or FIFO`
        : `${p.usedBy}: device ${p.path} does not exist on ${host}`;
  }
}

/** stat(), following links as QEMU's open() would; null when nothing is there or it cannot be looked at. */
function statOrNull(p: string): Stats | null {
  try {
    return statSync(p);
  } catch {
    return null;
  }
}

function emulatorProblem(domain: XmlNode, host: string): string | null {
  const emulator = domain.node('devices/emulator')?.text.trim();
  if (!emulator) return null; // libvirt picks the host's own for the guest's arch
  if (!path.isAbsolute(emulator)) return `emulator ${emulator} is not an absolute path`;
  const st = statOrNull(emulator);
  if (!st) return `emulator ${emulator} does not exist on ${host} (install it, or change <emulator>)`;
  try {
    accessSync(emulator, fsConstants.X_OK);
  } catch {
    return `emulator ${emulator} on ${host} is not executable by the daemon's user`;
  }
  return st.isFile() ? null : `emulator ${emulator} on ${host} is not a regular file`;
}

/** A Linux interface name: what `/sys/class/net/<name>` can be (no `/`, no `..`). */
const IFNAME = /^[^/\s]{1,15}$/;

function bridgeProblems(domain: XmlNode, host: string): { checked: number; problems: string[] } {
  const problems: string[] = [];
  const bridges = domain.nodes("devices/interface[@type='bridge']/source").map((s) => s.attr('bridge') ?? '');
  for (const bridge of bridges) {
    if (!IFNAME.test(bridge) || bridge === '.' || bridge === '..') {
      problems.push(`interface bridge "${bridge}" is not an interface name`);
    } else if (!lstatOrNull(`/sys/class/net/${bridge}/bridge`)) {
      problems.push(
        lstatOrNull(`/sys/class/net/${bridge}`)
          ? `interface bridge ${bridge} on ${host} is an interface but not a bridge`
          : `bridge ${bridge} does not exist on ${host} (create it, or connect the guest to another)`,
      );
    }
  }
  return { checked: bridges.length, problems };
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

/** KiB in one `unit` (libvirt's scaled integers: b, k/KiB, M/MiB, G/GiB, KB, MB, GB …). */
function kib(value: number, unit: string | null): number | null {
  const u = (unit ?? 'KiB').toLowerCase();
  const binary: Record<string, number> = { b: 1 / 1024, bytes: 1 / 1024, k: 1, kib: 1, m: 1024, mib: 1024 };
  Object.assign(binary, { g: 1024 ** 2, gib: 1024 ** 2, t: 1024 ** 3, tib: 1024 ** 3 });
  const decimal: Record<string, number> = { kb: 1000 / 1024, mb: 1e6 / 1024, gb: 1e9 / 1024, tb: 1e12 / 1024 };
  const factor = binary[u] ?? decimal[u];
  return factor === undefined ? null : value * factor;
}

/** The host's default huge page size in KiB (`Hugepagesize:` of /proc/meminfo), or null. */
function defaultHugePageKiB(): number | null {
  try {
    const m = /^Hugepagesize:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

interface HugePageFinding {
  critical: string[];
  warning: string[];
  checked: number;
}

/** `<memoryBacking><hugepages>`: each page size must exist here (critical); enough free pages (warning). */
function hugePageFindings(domain: XmlNode, host: string): HugePageFinding {
  const out: HugePageFinding = { critical: [], warning: [], checked: 0 };
  const hugepages = domain.node('memoryBacking/hugepages');
  if (!hugepages) return out;
  const memory =
    Number(domain.node('memory')?.text.trim() ?? 0) * (kib(1, domain.node('memory')?.attr('unit') ?? null) ?? 1);
  const pages = hugepages.nodes('page');
  const sizes = pages.length
    ? pages.map((p) => kib(Number(p.attr('size') ?? NaN), p.attr('unit')))
    : [defaultHugePageKiB()];
  for (const size of sizes) {
    out.checked++;
    if (size === null || !Number.isFinite(size) || size <= 0 || !Number.isInteger(size)) {
      out.critical.push(
        size === null && !pages.length
          ? `the guest asks for huge pages and ${host} has none configured (no Hugepagesize in /proc/meminfo)`
          : 'a huge page size of the definition is not a size',
      );
      continue;
    }
    const dir = `/sys/kernel/mm/hugepages/hugepages-${size}kB`;
    if (!lstatOrNull(dir)) {
      out.critical.push(`huge pages of ${size} KiB do not exist on ${host} (${dir} is missing)`);
      continue;
    }
    let free = NaN;
    try {
      free = Number(readFileSync(`${dir}/free_hugepages`, 'utf8').trim());
    } catch {
      // unreadable: reported below as none free
    }
    const needed = Math.ceil(memory / size / sizes.length);
    if (!(free >= needed)) {
      out.warning.push(
        `${Number.isFinite(free) ? free : 0} free huge pages of ${size} KiB on ${host}, the guest's memory needs ${needed} (raise nr_hugepages)`,
      );
    }
  }
  return out;
}

/**
 * Decides from the parsed incoming definition and this host's files. `host`
 * names this host in the messages (its hostname). Check files see `$domain`
 * alone; their checks run on a thread of their own (a runaway expression never
 * holds the caller's deadline).
 */
export async function decideIncoming(
  doc: XmlDocument,
  host: string,
  checkFiles: readonly CheckFile[] = [],
): Promise<GateDecision> {
  const domain = doc.root;
  if (!domain || domain.name !== 'domain')
    throw new PmcError('the hook input is not a <domain> definition', 'ERR_PMC_GATE');
  const decision: GateDecision = {
    guest: domain.node('name')?.text.trim() ?? '',
    uuid: domain.node('uuid')?.text.trim() ?? '',
    problems: [],
    checked: 0,
  };
  const critical = (check: string, message: string) => decision.problems.push({ check, severity: 'critical', message });
  for (const p of parseHostPaths(domain)) {
    decision.checked++;
    const problem = pathProblem(p, host);
    if (problem) critical('gate.host-path', problem);
  }
  decision.checked++;
  const emulator = emulatorProblem(domain, host);
  if (emulator) critical('gate.emulator', emulator);
  const bridges = bridgeProblems(domain, host);
  decision.checked += bridges.checked;
  for (const b of bridges.problems) critical('gate.bridge', b);
  const pages = hugePageFindings(domain, host);
  decision.checked += pages.checked;
  for (const m of pages.critical) critical('gate.hugepages', m);
  for (const m of pages.warning)
    decision.problems.push({ check: 'gate.hugepages-free', severity: 'warning', message: m });
  const xml = doc.xml;
  for (const file of checkFiles) {
    const outcomes = await native.runCheckFileOnDomain(file.native.handle, xml);
    for (const o of outcomes) {
      decision.checked++;
      if (o.status === 'pass') continue;
      decision.problems.push({
        check: o.name,
        severity: o.severity,
        message:
          o.status === 'error' ? `${o.name} (${file.path}) could not decide: ${o.message}` : `${o.name}: ${o.message}`,
        ...(o.status === 'error' ? { error: true } : {}),
      });
    }
  }
  return decision;
}

/**
 * A check file the gate can run: its checks may read `$domain` only (a hook has
 * no other fact, and asking libvirt for one would deadlock the daemon).
 */
export function gateCheckFileProblem(file: CheckFile): string | null {
  const others = file.variables.filter((v) => v !== 'domain');
  return others.length
    ? `${file.path}: the gate sees the incoming definition alone ($domain), not ${others.map((v) => `$${v}`).join(', ')}`
    : null;
}
