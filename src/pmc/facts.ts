/**
 * The run's facts: one HostFacts per connection, plus the domain's. Each
 * libvirt fact is fetched at most once per run and shared by every check (JS,
 * XML and plugin): on first use, or ahead of the checks by the run's prefetch
 * (`src/pmc/prefetch.ts`), which fills the same cache. `calls` counts the
 * fact-cache entries made; tests count the libvirt calls themselves
 * (`src/binding/call-log.ts`).
 */
import { posix } from 'node:path';
import type { Connection, CpuCompareResult, HypervisorTarget } from '../binding/connection.js';
import type { Domain } from '../binding/domain.js';
import { constants } from '../binding/native.js';
import type {
  BlockJobInfo,
  DomainInfo,
  DomainState,
  FreePagesCell,
  JobInfo,
  NetworkInfo,
  NodeInfo,
  SecretInfo,
  StoragePoolInfo,
  StorageVolumeInfo,
} from '../binding/native-types.js';
import type { Version } from '../binding/version.js';
import { nullWhen, PmcError } from '../errors.js';
import type { LibvirtConstantName } from '../libvirt-names.js';
import type { SecretRef } from '../model/libvirt-xml.js';
import type { ServiceFactCache } from './service-facts.js';

/** The usage type libvirt files a secret under, by the type a domain's XML names. */
const SECRET_USAGE_TYPE: Record<string, LibvirtConstantName> = {
  ceph: 'VIR_SECRET_USAGE_TYPE_CEPH',
  iscsi: 'VIR_SECRET_USAGE_TYPE_ISCSI',
  volume: 'VIR_SECRET_USAGE_TYPE_VOLUME',
  passphrase: 'VIR_SECRET_USAGE_TYPE_VOLUME',
  tls: 'VIR_SECRET_USAGE_TYPE_TLS',
  vtpm: 'VIR_SECRET_USAGE_TYPE_VTPM',
};

/** Memoizes named async facts and counts the calls that actually ran. */
export class FactCache {
  private readonly values = new Map<string, Promise<unknown>>();
  readonly calls = new Map<string, number>();
  /** Every libvirt query made, by full key (`volumeByPath:/var/…`), in order. */
  readonly queries: string[] = [];
  /** How old each fact this run used was when the run first asked it, in ms, by full key (0: asked by this run). */
  readonly agesMs = new Map<string, number>();

  /** `kept`: a service's facts of this connection that outlive the run (src/pmc/service-facts.ts). */
  constructor(
    private readonly prefix: string,
    private readonly kept?: { cache: ServiceFactCache; connection: Connection },
  ) {}

  /** A value computed from facts (parsed XML, …): memoized, but not a libvirt call, so not counted. */
  derive<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const k = `derived:${key}`;
    let value = this.values.get(k) as Promise<T> | undefined;
    if (!value) {
      value = compute();
      this.values.set(k, value);
    }
    return value;
  }

  get<T>(key: string, fetch: () => Promise<T>): Promise<T> {
    let value = this.values.get(key) as Promise<T> | undefined;
    if (!value) {
      let ageMs = 0;
      if (this.kept) {
        const answer = this.kept.cache.get(this.kept.connection, key, () => this.count(key, fetch));
        value = answer.value;
        ageMs = Math.round(answer.ageMs);
      } else {
        value = this.count(key, fetch);
      }
      // A key holding XML (a CPU comparison) is named up to it.
      this.agesMs.set(`${this.prefix}.${key.split('<')[0]}`, ageMs);
      this.values.set(key, value);
    }
    return value;
  }

  /** Asks libvirt, counting the call. */
  private count<T>(key: string, fetch: () => Promise<T>): Promise<T> {
    const name = `${this.prefix}.${key.split(':')[0]}`;
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    this.queries.push(`${this.prefix}.${key}`);
    return fetch();
  }
}

const noDomain = nullWhen('VIR_ERR_NO_DOMAIN');

let nextHostFactsId = 1;

export class HostFacts {
  readonly cache: FactCache;
  /**
   * Tells hosts apart in the keys of what depends on a guest and a host both,
   * kept with the guest's facts: a plan shares one guest's facts across its
   * candidates (host.paths' verdicts).
   */
  readonly id = nextHostFactsId++;
  /** Domain look-ups answered from one listing (answerLookupsFromListing). */
  private fromListing = false;

  /** `kept`: a service's facts that outlive the run (RunOptions.factCache). */
  constructor(
    readonly connection: Connection,
    side: 'source' | 'destination',
    kept?: ServiceFactCache,
  ) {
    this.cache = new FactCache(side, kept && { cache: kept, connection });
  }

  hostname(): Promise<string> {
    return this.cache.get('hostname', () => this.connection.getHostname());
  }
  uri(): Promise<string> {
    return this.cache.get('uri', () => this.connection.getURI());
  }
  type(): Promise<string> {
    return this.cache.get('type', () => this.connection.getType());
  }
  isAlive(): Promise<boolean> {
    return this.cache.get('isAlive', () => this.connection.isAlive());
  }
  hypervisorVersion(): Promise<Version> {
    return this.cache.get('hypervisorVersion', () => this.connection.getHypervisorVersion());
  }
  libVersion(): Promise<Version> {
    return this.cache.get('libVersion', () => this.connection.getLibVersion());
  }
  capabilities(): Promise<string> {
    return this.cache.get('capabilities', () => this.connection.getCapabilities());
  }
  domainCapabilities(target: HypervisorTarget): Promise<string> {
    const key = `domainCapabilities:${target.emulator}|${target.arch}|${target.machine}|${target.virttype}`;
    return this.cache.get(key, () => this.connection.getDomainCapabilities(target));
  }
  nodeInfo(): Promise<NodeInfo> {
    return this.cache.get('nodeInfo', () => this.connection.getNodeInfo());
  }
  freeMemory(): Promise<number> {
    return this.cache.get('freeMemory', () => this.connection.getFreeMemory());
  }
  freePages(pageSizeKiB: number): Promise<FreePagesCell[]> {
    return this.cache.get(`freePages:${pageSizeKiB}`, () => this.connection.getFreePages([pageSizeKiB], -1, 1));
  }
  networks(): Promise<NetworkInfo[]> {
    return this.cache.get('networks', () => this.connection.listAllNetworks());
  }
  pools(): Promise<StoragePoolInfo[]> {
    return this.cache.get('pools', () => this.connection.listAllStoragePools());
  }
  domains(): Promise<Domain[]> {
    return this.cache.get('domains', () => this.connection.listAllDomains());
  }
  /**
   * Fleet work looks many guests up on one host: from now on domainByName and
   * domainByUUID answer from one listing of its domains (`domains()`), so a
   * guest the host lacks costs no call (nor a LibvirtError) at all.
   */
  answerLookupsFromListing(): void {
    this.fromListing = true;
  }
  private listed(): Promise<{ byName: Map<string, Domain>; byUUID: Map<string, Domain> }> {
    return this.cache.derive('listedDomains', async () => {
      const domains = await this.domains();
      return { byName: new Map(domains.map((d) => [d.name, d])), byUUID: new Map(domains.map((d) => [d.uuid, d])) };
    });
  }
  /** The domain of this name on this host (and whether it runs), or null when there is none. */
  domainByName(name: string): Promise<{ uuid: string; active: boolean } | null> {
    return this.cache.derive(`domainByName:${name}`, async () => {
      const d = this.fromListing
        ? ((await this.listed()).byName.get(name) ?? null)
        : await this.cache.get(`lookupDomainByName:${name}`, () =>
            this.connection.lookupDomainByName(name).catch(noDomain),
          );
      return d ? { uuid: d.uuid, active: await this.isDomainActive(d) } : null;
    });
  }
  /** The domain with this UUID on this host (and whether it runs), or null when there is none. */
  domainByUUID(uuid: string): Promise<{ name: string; active: boolean } | null> {
    return this.cache.derive(`domainByUUID:${uuid}`, async () => {
      const d = this.fromListing
        ? ((await this.listed()).byUUID.get(uuid) ?? null)
        : await this.cache.get(`lookupDomainByUUID:${uuid}`, () =>
            this.connection.lookupDomainByUUID(uuid).catch(noDomain),
          );
      return d ? { name: d.name, active: await this.isDomainActive(d) } : null;
    });
  }
  /** Whether a domain of this host runs: asked once per UUID, however it was looked up. */
  private isDomainActive(d: Domain): Promise<boolean> {
    return this.cache.get(`isActive:${d.uuid}`, () => d.isActive());
  }
  /** compareHypervisorCPU of `cpuXml` on this host, for the given emulator/arch/machine/virt type. */
  compareCPU(cpuXml: string, target: HypervisorTarget, flags = 0): Promise<CpuCompareResult> {
    const key = `compareHypervisorCPU:${target.emulator}|${target.arch}|${target.machine}|${target.virttype}|${flags}|${cpuXml}`;
    return this.cache.get(key, () => this.connection.compareHypervisorCPU(cpuXml, target, flags));
  }
  /**
   * The volume at `path`, or null when this host has none there. An absolute
   * path is asked in its normal form (`/a//b/` as `/a/b`), so every spelling
   * of one path is one fact and one call.
   */
  volumeByPath(path: string): Promise<StorageVolumeInfo | null> {
    const normal = posix.isAbsolute(path) ? posix.resolve(path) : path;
    return this.cache.get(`volumeByPath:${normal}`, () =>
      this.connection.lookupStorageVolByPath(normal).catch(nullWhen('VIR_ERR_NO_STORAGE_VOL')),
    );
  }
  /** The secret of this usage (VIR_SECRET_USAGE_TYPE_*) and usage ID, or null when this host has none. */
  secretByUsage(usageType: number, usageID: string): Promise<SecretInfo | null> {
    return this.cache.get(`secretByUsage:${usageType}|${usageID}`, () =>
      this.connection.lookupSecretByUsage(usageType, usageID).catch(nullWhen('VIR_ERR_NO_SECRET')),
    );
  }
  /** The secret with this UUID, or null when this host has none. */
  secret(uuid: string): Promise<SecretInfo | null> {
    return this.cache.get(`secret:${uuid}`, () =>
      this.connection.lookupSecretByUUID(uuid).catch(nullWhen('VIR_ERR_NO_SECRET')),
    );
  }
  /**
   * The secret a domain's reference names (by UUID, else by usage), null when
   * this host has none; undefined when the reference names neither.
   */
  secretFor(ref: SecretRef): Promise<SecretInfo | null | undefined> {
    if (ref.uuid) return this.secret(ref.uuid);
    if (!ref.usage) return Promise.resolve(undefined);
    const typeName = SECRET_USAGE_TYPE[ref.type ?? ''] ?? 'VIR_SECRET_USAGE_TYPE_VOLUME';
    return this.secretByUsage(constants[typeName], ref.usage);
  }
}

export class DomainFacts {
  readonly cache = new FactCache('domain');

  constructor(readonly domain: Domain) {}

  /** The XML with VIR_DOMAIN_XML_MIGRATABLE: what the destination will receive. */
  migratableXml(): Promise<string> {
    return this.cache.get('migratableXml', () => this.domain.getXMLDesc(constants.VIR_DOMAIN_XML_MIGRATABLE!));
  }
  info(): Promise<DomainInfo> {
    return this.cache.get('info', () => this.domain.getInfo());
  }
  state(): Promise<DomainState> {
    return this.cache.get('state', () => this.domain.getState());
  }
  isPersistent(): Promise<boolean> {
    return this.cache.get('isPersistent', () => this.domain.isPersistent());
  }
  snapshotCount(): Promise<number> {
    return this.cache.get('snapshotCount', () => this.domain.snapshotCount());
  }
  jobInfo(): Promise<JobInfo> {
    return this.cache.get('jobInfo', () => this.domain.getJobInfo());
  }
  /** The block job on disk `target` (vda, …), or null when none runs. */
  blockJob(target: string): Promise<BlockJobInfo | null> {
    return this.cache.get(`blockJob:${target}`, () => this.domain.getBlockJobInfo(target));
  }
  /**
   * The guest's dirty-page rate, measured now over `seconds` (virDomainStartDirtyRateCalc,
   * then the `dirtyrate.*` stats once the measurement is done). One measurement per run.
   */
  dirtyRate(seconds: number, signal?: AbortSignal): Promise<Record<string, number | string | boolean>> {
    return this.cache.get('dirtyRate', async () => {
      await this.domain.startDirtyRateCalc(seconds);
      const deadline = Date.now() + seconds * 1000 + 5000;
      await sleep(seconds * 1000, signal);
      for (;;) {
        const stats = await this.domain.getDirtyRate();
        // calc_status: 0 unstarted, 1 measuring, 2 measured.
        if (stats['dirtyrate.calc_status'] === constants.VIR_DOMAIN_DIRTYRATE_MEASURED) return stats;
        if (Date.now() > deadline)
          throw new PmcError(`the dirty-rate measurement did not finish within ${seconds + 5} s`, 'ERR_PMC_TIMEOUT');
        await sleep(200, signal);
      }
    });
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}

/** Ready facts a run takes instead of fetching its own: one HostFacts per host, one DomainFacts per guest. */
export interface SharedFacts {
  source?: HostFacts;
  destination?: HostFacts;
  domain?: DomainFacts;
}

export class Facts {
  readonly source: HostFacts;
  readonly destination: HostFacts;
  readonly domain: DomainFacts;

  /**
   * `shared`: facts other runs fetch too (placement and planning run many at
   * once), used as they are. `kept`: a service's host facts that outlive runs.
   */
  constructor(
    domain: Domain,
    source: Connection,
    destination: Connection,
    shared: SharedFacts = {},
    kept?: ServiceFactCache,
  ) {
    this.source = shared.source ?? new HostFacts(source, 'source', kept);
    this.destination = shared.destination ?? new HostFacts(destination, 'destination', kept);
    this.domain = shared.domain ?? new DomainFacts(domain);
  }

  /** How old each fact of this run was when first asked (ms, 0: asked by this run), by full key. */
  get agesMs(): Record<string, number> {
    return Object.fromEntries([
      ...this.source.cache.agesMs,
      ...this.destination.cache.agesMs,
      ...this.domain.cache.agesMs,
    ]);
  }

  /** Every libvirt query this run made, by full key (`destination.volumeByPath:/var/…`). */
  get queries(): readonly string[] {
    return [...this.source.cache.queries, ...this.destination.cache.queries, ...this.domain.cache.queries];
  }

  /** How many libvirt calls this run made, by fact name (`source.capabilities`, …). */
  get calls(): ReadonlyMap<string, number> {
    return new Map([...this.source.cache.calls, ...this.destination.cache.calls, ...this.domain.cache.calls]);
  }
}
