/**
 * Every host path the destination QEMU opens when it starts for the incoming
 * migration, and that the destination must therefore provide: disks no
 * storage check decides (read-only images, CD-ROMs without a startupPolicy
 * that lets libvirt drop them, block and directory sources), character
 * devices and their logs, firmware and NVRAM, kernel/initrd/dtb, rng, evdev,
 * TPM passthrough, filesystems, NVDIMM backing files, sockets.
 */
import path from 'node:path';
import { isLibvirtError } from '../errors.js';
import type { HostPathModel } from '../model/host-paths.js';
import { hypervisorTargetOf, parseDomainCapabilitiesLoaders } from '../model/libvirt-xml.js';
import type { Facts } from '../pmc/facts.js';
import type { CheckDefinition, MigrationOptions } from '../pmc/types.js';
import { destinationDomainCapabilities, domainModel } from '../pmc/parsed-facts.js';
import { destinationHas, destinationHasDirectoryOf, type Presence } from './destination-paths.js';
import { diskPathsForHostPaths } from './storage.js';
import { fail, notVerifiable, pass } from './util.js';

interface PathVerdict {
  entry: HostPathModel;
  /** present: fine; absent: the start fails; unknown: nothing can tell. */
  state: Presence['state'];
  how: string;
}

/** The destination's firmware images for the guest's emulator, machine and arch, from its domain capabilities (`<os><loader><value>`). */
async function destinationLoaders(facts: Facts): Promise<string[]> {
  const t = hypervisorTargetOf(await domainModel(facts));
  // Per target: a plan asks one destination about guests of other emulators and machines.
  return facts.destination.cache.derive(`loaders:${t.emulator}|${t.arch}|${t.machine}|${t.virttype}`, async () => {
    try {
      return parseDomainCapabilitiesLoaders(await destinationDomainCapabilities(facts));
    } catch (e) {
      // No domain capabilities (the test driver, or a platform the destination lacks, which
      // platform.supported reports): the pools alone decide.
      if (isLibvirtError(e, 'VIR_ERR_RPC', 'VIR_ERR_SYSTEM_ERROR', 'VIR_ERR_INVALID_CONN')) throw e;
      return [];
    }
  });
}

async function judgePath(facts: Facts, entry: HostPathModel): Promise<PathVerdict> {
  const { path: p, need } = entry;
  // A relative path (a wav audio file) is the destination QEMU's working directory's, not ours.
  if (!path.isAbsolute(p))
    return { entry, state: 'unknown', how: "relative to the destination QEMU's working directory" };
  if (entry.usedBy === 'os loader' && (await destinationLoaders(facts)).includes(path.resolve(p))) {
    return { entry, state: 'present', how: 'a firmware image of its domain capabilities' };
  }
  const itself = await destinationHas(facts, p);
  if (itself.state === 'present') return { entry, state: 'present', how: itself.how };
  if (need === 'exists') return { entry, state: itself.state, how: itself.how };
  // Created there (its directory must exist), or a socket or device node no pool lists: a missing
  // directory still proves it absent.
  const dir = await destinationHasDirectoryOf(facts, p);
  if (dir.state === 'absent') return { entry, state: 'absent', how: `its directory is missing: ${dir.how}` };
  if (need === 'created') return { entry, state: dir.state, how: dir.how };
  return { entry, state: 'unknown', how: `a ${need === 'socket' ? 'socket' : 'device node or FIFO'} no pool lists` };
}

/** Every host path of the guest the destination must provide, judged once per run and destination (both checks read it). */
function judgeHostPaths(facts: Facts, options: Readonly<MigrationOptions>): Promise<PathVerdict[]> {
  // The destination in the key: a plan shares the guest's facts across its candidates.
  const key = `hostPaths:${facts.destination.id}|${JSON.stringify(options.migrateDisks ?? [])}|${Boolean(options.copyStorageAll || options.copyStorageInc)}`;
  return facts.domain.cache.derive(key, async () => {
    const model = await domainModel(facts);
    const entries: HostPathModel[] = [
      ...diskPathsForHostPaths(model.disks, options).map((d): HostPathModel => ({
        path: d.path!,
        need: 'exists',
        usedBy: `${d.device} ${d.target}`,
      })),
      ...model.hostPaths,
    ];
    return Promise.all(entries.map((e) => judgePath(facts, e)));
  });
}

const describe = (v: PathVerdict) => `${v.entry.usedBy} ${v.entry.path} (${v.how})`;

export const hostPaths: CheckDefinition = {
  name: 'host.paths',
  severity: 'critical',
  description:
    'Every host path the destination QEMU opens at start exists there (images, firmware, kernel, filesystems), or its directory does where libvirt or QEMU creates it (chardev files and logs, sockets, NVRAM).',
  anchor:
    'libvirt qemu_command.c (chardevs, rng, evdev, TPM, fsdev, memory backends, loader) and qemu_process.c qemuProcessPrepareHostStorage, qemuPrepareNVRAM: "Unable to open file", "Cannot access storage file"',
  remedy:
    'Create the file or directory on the destination (or put it on storage both hosts share), or change the path in the definition before migrating (--xml).',
  offline: 'no QEMU starts there until the guest starts',
  async run({ facts, options }) {
    const verdicts = await judgeHostPaths(facts, options);
    const absent = verdicts.filter((v) => v.state === 'absent');
    if (absent.length) {
      return fail(`the destination QEMU cannot open: ${absent.map(describe).join('; ')}`, {
        absent: absent.map((v) => v.entry.path),
      });
    }
    const present = verdicts.filter((v) => v.state === 'present').length;
    const unknown = verdicts.length - present;
    if (verdicts.length === 0) return pass('the guest names no host path besides its shared or copied disks');
    return pass(
      `${present} host path(s) found on the destination` +
        (unknown ? `; ${unknown} cannot be seen (host.paths-verifiable)` : ''),
    );
  },
};

/** The part of host.paths nothing can verify: a warning, so that only `strict` blocks on it. */
export const hostPathsVerifiable: CheckDefinition = {
  name: 'host.paths-verifiable',
  severity: 'warning',
  description:
    'Every host path the destination QEMU opens at start can be seen from here: one outside any destination storage pool (a device node, a socket, a directory no pool holds) cannot.',
  anchor: 'libvirt offers no stat of a remote host; only its storage pools and domain capabilities list paths',
  remedy:
    'Check the listed paths on the destination by hand, or define a storage pool there holding their directory so that the check can see them.',
  offline: 'no QEMU starts there until the guest starts',
  async run({ facts, options }) {
    const unknown = (await judgeHostPaths(facts, options)).filter((v) => v.state === 'unknown');
    if (unknown.length)
      return notVerifiable(unknown.map(describe).join('; '), { paths: unknown.map((v) => v.entry.path) });
    return pass('every host path is decided by host.paths (or there is none)');
  },
};
