/**
 * The run's facts read through the XML model: parsed once per run, memoized
 * on the run's Facts (derived values, not libvirt calls), shared by every
 * check (built-ins and the facts fetched for check files and plugins).
 */
import {
  hypervisorTargetOf,
  parseCapabilities,
  parseDomainXml,
  parsePool,
  parsePoolXml,
  type DiskModel,
  type DomainModel,
  type HostCapabilities,
  type PoolModel,
  type SecretRef,
} from '../model/libvirt-xml.js';
import type { Facts, HostFacts } from './facts.js';

/**
 * A model parsed once per distinct document, process-wide: a host answers the
 * same capabilities, pool and domain XML run after run, and parsing them again
 * was most of a run's time on the JS thread (bench/service.bench.mjs). Keyed
 * by the text itself, so a changed document is parsed anew; at most `size`
 * documents per parser, the oldest dropped first. Models are read-only: every
 * run that parsed the same text shares one.
 */
function parsedByText<T>(parse: (xml: string) => T, size = 64): (xml: string) => T {
  const models = new Map<string, T>();
  return (xml) => {
    let model = models.get(xml);
    if (model === undefined) {
      model = parse(xml);
      if (models.size >= size) models.delete(models.keys().next().value!);
      models.set(xml, model);
    }
    return model;
  };
}

const domainModelOf = parsedByText(parseDomainXml);
const capabilitiesModelOf = parsedByText(parseCapabilities, 16);
const poolXmlOf = parsedByText(parsePoolXml, 256);

export function domainModel(facts: Facts): Promise<DomainModel> {
  return facts.domain.cache.derive('model', async () => domainModelOf(await facts.domain.migratableXml()));
}

export function capabilitiesOf(host: HostFacts): Promise<HostCapabilities> {
  return host.cache.derive('capabilities', async () => capabilitiesModelOf(await host.capabilities()));
}

export function poolsOf(host: HostFacts): Promise<PoolModel[]> {
  // The XML's fields are shared; the listing's own (name, state, room) are this call's.
  return host.cache.derive('pools', async () => (await host.pools()).map((p) => parsePool(p, poolXmlOf(p.xml))));
}

/**
 * The destination's domain capabilities for the guest's hypervisor target:
 * one fetch per run, whoever asks (platform.supported, the `dstDomCaps` fact
 * of check files and plugins).
 */
export async function destinationDomainCapabilities(facts: Facts): Promise<string> {
  return facts.destination.domainCapabilities(hypervisorTargetOf(await domainModel(facts)));
}

/** Every secret the domain uses: its disks' (auth, encryption) and its vTPM's. */
export function secretRefsOf(model: DomainModel): SecretRef[] {
  const refs: SecretRef[] = model.disks.flatMap((d) => d.secrets);
  for (const t of model.tpms) if (t.secret) refs.push({ usedBy: 'tpm', uuid: t.secret, usage: null, type: 'vtpm' });
  return refs;
}

/** The disks a block job can run on: those with a source. */
export function blockJobDisksOf(model: DomainModel): DiskModel[] {
  return model.disks.filter((d) => d.path || d.networkName || d.volume);
}

/** Domain states in which QEMU runs (libvirt's virDomainObjIsActive), so that libvirt answers job queries. */
export const ACTIVE_STATES: ReadonlySet<string> = new Set(['running', 'paused', 'blocked', 'pmsuspended']);

/** libvirt's huge page size when the domain's XML names none (x86_64). */
const DEFAULT_HUGEPAGE_KIB = 2048;

/** The huge page sizes the guest's memory is backed by, each once; empty without huge pages. */
export function hugePageSizesOf(model: DomainModel): number[] {
  return [...new Set((model.hugepages ?? []).map((h) => h.sizeKiB ?? DEFAULT_HUGEPAGE_KIB))];
}
