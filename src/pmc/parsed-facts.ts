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
  type DomainModel,
  type HostCapabilities,
  type PoolModel,
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
