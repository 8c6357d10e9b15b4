/**
 * The built-ins' fact graph, fetched in dependent waves before the checks
 * read it (docs/architecture.md, "The fact graph in waves"). Over a wire each
 * wave costs one round trip, whatever its size, since every call of a wave is
 * in flight at once (the addon's call pool); a check that awaited its facts
 * one after another would cost one round trip per await instead.
 *
 * Everything goes through the run's Facts, so a check reading a fact the
 * prefetch asked for waits for that same call (it never issues it again), and
 * prefetching twice (several runs sharing one host's facts) asks nothing new.
 * The prefetch only warms the cache: a fact it misses is fetched by the check
 * that reads it, and a failure is the reading check's to report.
 */
import { hypervisorTargetOf, type DomainModel } from '../model/libvirt-xml.js';
import { constants } from '../binding/native.js';
import type { Facts, HostFacts } from './facts.js';
import {
  ACTIVE_STATES,
  blockJobDisksOf,
  capabilitiesOf,
  destinationDomainCapabilities,
  domainModel,
  hugePageSizesOf,
  poolsOf,
  secretRefsOf,
} from './parsed-facts.js';
import type { RunOptions } from './run-options.js';

/** Waits for a fact without taking its failure: the check that reads it reports that. */
function settled(p: Promise<unknown> | undefined): Promise<unknown> {
  return p ? p.catch(() => undefined) : Promise.resolve();
}

/** Wave 1, per host: what depends only on the connection. */
function hostWave(host: HostFacts, isDestination: boolean): Promise<unknown>[] {
  const facts: Promise<unknown>[] = [
    // The pools first: listing, then describing each, is two round trips.
    poolsOf(host),
    host.hostname(),
    host.uri(),
    host.type(),
    host.isAlive(),
    host.hypervisorVersion(),
    host.libVersion(),
    capabilitiesOf(host),
  ];
  // Only the destination's room and networks are checked.
  if (isDestination) facts.push(host.nodeInfo(), host.freeMemory(), host.networks());
  return facts;
}

/** Wave 2: what the domain's XML (and wave 1's state and capabilities) names. */
async function xmlWave(
  facts: Facts,
  model: DomainModel,
  options: RunOptions,
): Promise<(Promise<unknown> | undefined)[]> {
  const { source, destination, domain } = facts;
  const wave: (Promise<unknown> | undefined)[] = [destinationDomainCapabilities(facts)];
  // Each disk file, on both hosts (storage.shared, storage.copy-target, storage.cdrom).
  for (const disk of model.disks) {
    if (disk.path) wave.push(source.volumeByPath(disk.path), destination.volumeByPath(disk.path));
  }
  // secrets.present
  for (const ref of secretRefsOf(model)) wave.push(destination.secretFor(ref));
  // cpu.compatible compares the guest CPU unless it is the machine's default or the host's.
  const cpu = model.cpu;
  const defaultCpu = !cpu || (cpu.mode === 'custom' && !cpu.model && cpu.features.length === 0);
  if (!options.offline && cpu && !defaultCpu && !['host-passthrough', 'maximum', 'host-model'].includes(cpu.mode)) {
    wave.push(
      destination.compareCPU(cpu.xml, hypervisorTargetOf(model), constants.VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE!),
    );
  }
  // memory.available: the free pages of each huge page size the destination offers.
  const sizes = hugePageSizesOf(model);
  if (sizes.length > 0) {
    const offered = (await capabilitiesOf(destination).catch(() => null))?.pageSizesKiB ?? [];
    for (const size of sizes) {
      if (!offered.length || offered.includes(size)) wave.push(destination.freePages(size));
    }
  }
  // domain.job: libvirt answers job queries only for a running guest; block jobs matter unless offline.
  const state = await domain.state().catch(() => null);
  if (state && ACTIVE_STATES.has(state.state)) {
    wave.push(domain.jobInfo());
    if (!options.offline) for (const d of blockJobDisksOf(model)) wave.push(domain.blockJob(d.target));
  }
  return wave;
}

/**
 * Issues the built-ins' facts in waves: wave 1 at once (the connections'
 * facts, the domain's XML, state and counts, the destination's look-ups of
 * the guest's name and UUID); wave 2 as soon as the XML has come (per disk,
 * per secret, per page size, the domain capabilities, the CPU comparison,
 * the jobs) and, for a guest found on the destination, whether it runs.
 * Resolves when every fact it asked for has settled.
 */
export async function prefetchFacts(facts: Facts, options: RunOptions): Promise<void> {
  const { source, destination, domain } = facts;
  const name = options.destName ?? domain.domain.name;
  // The XML first: wave 2 waits for it, and libvirt's daemon serves only a
  // few calls of one client at once (max_client_requests, 5 by default), so a
  // call queued behind the host facts would arrive a round trip late.
  const wave2 = domainModel(facts)
    .then(async (model) => Promise.all((await xmlWave(facts, model, options)).map(settled)))
    .catch(() => undefined);
  const wave1 = [
    domain.state(),
    // domain.name-free; a guest found asks whether it runs at once (its wave 2).
    destination.domainByName(name),
    destination.domainByUUID(domain.domain.uuid),
    ...hostWave(source, false),
    ...hostWave(destination, true),
    domain.isPersistent(),
    domain.snapshotCount(),
  ];
  await Promise.all([...wave1.map(settled), wave2]);
}
