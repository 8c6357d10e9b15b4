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
  type DiskModel,
  type DomainModel,
  type HostCapabilities,
  type PoolModel,
  type SecretRef,
} from '../model/libvirt-xml.js';
import type { Facts, HostFacts } from './facts.js';

export function domainModel(facts: Facts): Promise<DomainModel> {
  return facts.domain.cache.derive('model', async () => parseDomainXml(await facts.domain.migratableXml()));
}

export function capabilitiesOf(host: HostFacts): Promise<HostCapabilities> {
  return host.cache.derive('capabilities', async () => parseCapabilities(await host.capabilities()));
}

export function poolsOf(host: HostFacts): Promise<PoolModel[]> {
  return host.cache.derive('pools', async () => (await host.pools()).map(parsePool));
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
