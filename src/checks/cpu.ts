/** The guest CPU on the destination: model and features, mode, TSC, vCPU count and pinning. */
import type { CheckDefinition } from '../pmc/types.js';
import { constants } from '../binding/native.js';
import { hypervisorTargetOf, parseCpuSet } from '../model/libvirt-xml.js';
import { capabilitiesOf, domainModel } from '../pmc/parsed-facts.js';
import { isLibvirtError } from '../errors.js';
import { fail, pass } from './util.js';
import type { HostFacts } from '../pmc/facts.js';

export const cpuCompatible: CheckDefinition = {
  name: 'cpu.compatible',
  severity: 'critical',
  description:
    "The destination can provide the guest CPU, asked with compareHypervisorCPU for the domain's arch, machine, emulator and virt type (Nova _compare_cpu).",
  anchor: 'Nova virt/libvirt/driver.py _compare_cpu; libvirt virConnectCompareHypervisorCPU',
  remedy:
    'Use a CPU model both hosts provide (virsh hypervisor-cpu-baseline), drop the missing features, or pick another destination.',
  offline: 'libvirt compares no CPU; the destination checks the guest CPU when the guest starts there',
  async run({ facts }) {
    const model = await domainModel(facts);
    const cpu = model.cpu;
    if (!cpu || (cpu.mode === 'custom' && !cpu.model && cpu.features.length === 0)) {
      return pass("the domain uses its machine type's default CPU model, which every host of this hypervisor provides");
    }
    if (cpu.mode === 'host-passthrough' || cpu.mode === 'maximum') {
      return pass(`the ${cpu.mode} CPU cannot be compared as a model; cpu.mode compares the two host CPUs instead`);
    }
    if (cpu.mode === 'host-model') {
      return pass('an inactive host-model CPU is expanded again on the destination at start');
    }
    try {
      const result = await facts.destination.compareCPU(
        cpu.xml,
        hypervisorTargetOf(model),
        constants.VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE!,
      );
      if (result === 'incompatible') return fail(`the destination cannot provide CPU model ${cpu.model ?? '?'}`);
      return pass(`the destination provides CPU model ${cpu.model ?? '?'} (${result})`);
    } catch (e) {
      // FAIL_INCOMPATIBLE makes libvirt name the missing features in its error.
      if (isLibvirtError(e, 'VIR_ERR_CPU_INCOMPATIBLE')) {
        return fail(`the destination cannot provide the guest CPU: ${(e as Error).message}`, {
          model: cpu.model,
          features: cpu.features,
        });
      }
      throw e;
    }
  },
};

async function hostCpu(host: HostFacts) {
  const caps = await capabilitiesOf(host);
  return { model: caps.cpuModel, vendor: caps.cpuVendor, features: new Set(caps.cpuFeatures) };
}

export const cpuMode: CheckDefinition = {
  name: 'cpu.mode',
  severity: 'warning',
  description:
    'A host-passthrough or maximum CPU only moves between hosts with the same CPU (KubeVirt CPU mode condition, oVirt CPU level).',
  anchor:
    'KubeVirt virt-handler vm.go calculateLiveMigrationCondition (CPU mode); libvirt formatdomain "host-passthrough"',
  remedy: 'Use host-model or a named CPU model for guests that migrate, or migrate between identical hosts.',
  offline: 'no guest CPU state moves between the host CPUs; the guest CPU is set up afresh when it starts there',
  async run({ facts }) {
    const model = await domainModel(facts);
    const mode = model.cpu?.mode ?? 'custom';
    if (mode !== 'host-passthrough' && mode !== 'maximum')
      return pass(`the guest CPU mode is ${mode}, independent of the host CPU`);
    const [src, dst] = await Promise.all([hostCpu(facts.source), hostCpu(facts.destination)]);
    const missing = [...src.features].filter((f) => !dst.features.has(f));
    const differs = src.model !== dst.model || src.vendor !== dst.vendor || missing.length > 0;
    if (differs) {
      return fail(
        `the guest uses a ${mode} CPU but the hosts' CPUs differ (source ${src.vendor ?? '?'} ${src.model ?? '?'}, ` +
          `destination ${dst.vendor ?? '?'} ${dst.model ?? '?'}${missing.length ? `, destination lacks ${missing.join(' ')}` : ''}): ` +
          `the guest may crash after migrating; use host-model or a named model`,
        { missing },
      );
    }
    if (model.cpu?.migratable === 'off') {
      return fail(`the ${mode} CPU has migratable='off': QEMU exposes non-migratable features; set migratable='on'`);
    }
    return pass(`the ${mode} CPU runs on identical host CPUs (${src.vendor ?? '?'} ${src.model ?? '?'})`);
  },
};

/** libvirt accepts a host TSC within 250 ppm of the requested frequency (qemuProcessStartValidateTSC). */
const TSC_TOLERANCE_PPM = 250;

export const cpuTsc: CheckDefinition = {
  name: 'cpu.tsc',
  severity: 'critical',
  description:
    'An invtsc guest needs a fixed TSC frequency the destination can run (libvirt, KubeVirt NoTSCFrequency, oVirt TSC).',
  anchor: 'libvirt qemu_migration.c qemuMigrationSrcIsAllowed "invtsc"; qemu_process.c qemuProcessStartValidateTSC',
  remedy:
    "Set <clock><timer name='tsc' frequency='…'/></clock> to a frequency both hosts run or scale to, or drop invtsc.",
  offline: 'libvirt skips its invtsc rule, and the TSC frequency is validated when the guest starts there',
  async run({ facts }) {
    const model = await domainModel(facts);
    const invtsc = model.cpu?.features.find(
      (f) => f.name === 'invtsc' && (f.policy === 'require' || f.policy === 'force'),
    );
    if (!invtsc) return pass('the guest CPU has no invtsc feature');
    if (!model.tscFrequency) {
      return fail(
        "the guest has the invtsc CPU feature but no TSC frequency: set <timer name='tsc' frequency='…'/> (libvirt refuses otherwise)",
      );
    }
    const caps = await capabilitiesOf(facts.destination);
    if (!caps.tsc || !caps.tsc.frequency) {
      return pass(
        `TSC frequency ${model.tscFrequency} Hz is set; the destination does not report its TSC, and libvirt then starts the guest`,
      );
    }
    const tolerance = (caps.tsc.frequency * TSC_TOLERANCE_PPM) / 1e6;
    if (Math.abs(caps.tsc.frequency - model.tscFrequency) <= tolerance) {
      return pass(
        `the destination TSC runs at ${caps.tsc.frequency} Hz, matching the guest's ${model.tscFrequency} Hz`,
      );
    }
    if (caps.tsc.scaling === 'yes') {
      return pass(`the destination TSC (${caps.tsc.frequency} Hz) can scale to the guest's ${model.tscFrequency} Hz`);
    }
    return fail(
      `the guest needs a TSC of ${model.tscFrequency} Hz; the destination runs ${caps.tsc.frequency} Hz and cannot scale: ` +
        `pick a destination with the same TSC frequency or TSC scaling`,
    );
  },
};

export const cpuCount: CheckDefinition = {
  name: 'cpu.count',
  severity: 'warning',
  description: 'The guest has no more vCPUs than the destination has CPUs (oVirt scheduler CPU policy unit).',
  anchor: 'oVirt scheduling CpuLevelFilterPolicyUnit / CPUPolicyUnit; libvirt virNodeGetInfo',
  remedy: 'Reduce the vCPU count, or pick a destination with at least as many CPUs (overcommitted vCPUs run slower).',
  offline: 'no vCPU runs there until the guest starts',
  async run({ facts }) {
    const [model, node] = await Promise.all([domainModel(facts), facts.destination.nodeInfo()]);
    if (model.vcpus > node.cpus) {
      return fail(
        `the guest has ${model.vcpus} vCPUs but the destination has ${node.cpus} CPUs: it would run overcommitted`,
      );
    }
    return pass(`${model.vcpus} vCPUs fit the destination's ${node.cpus} CPUs`);
  },
};

export const cpuPinning: CheckDefinition = {
  name: 'cpu.pinning',
  severity: 'critical',
  description: 'CPU pinning and NUMA tuning name only CPUs and NUMA cells the destination has (oVirt, Nova NUMA).',
  anchor: 'oVirt CpuPinningPolicyUnit, NumaPolicyUnit; Nova virt/hardware.py numa_fit_instance_to_host',
  remedy:
    'Adapt <cputune> and <numatune> to the destination (--xml / destXml), or pick a host with those CPUs and cells.',
  offline: 'no vCPU is pinned there until the guest starts, when libvirt applies <cputune> and <numatune>',
  async run({ facts }) {
    const [model, caps, node] = await Promise.all([
      domainModel(facts),
      capabilitiesOf(facts.destination),
      facts.destination.nodeInfo(),
    ]);
    const cpuIds = new Set(caps.cpuIds.length ? caps.cpuIds : [...Array(node.cpus).keys()]);
    const cells = new Set(caps.cells.length ? caps.cells : [...Array(Math.max(node.nodes, 1)).keys()]);
    const problems: string[] = [];
    const cpuSets: [string, string | null][] = [
      ['<vcpu cpuset>', model.vcpuCpuset],
      ['<emulatorpin>', model.emulatorPin],
      ...model.vcpuPins.map((p): [string, string] => [`<vcpupin vcpu='${p.vcpu}'>`, p.cpuset]),
    ];
    for (const [where, set] of cpuSets) {
      if (!set) continue;
      const absent = parseCpuSet(set).filter((c) => !cpuIds.has(c));
      if (absent.length) problems.push(`${where} names CPU ${absent.join(',')}`);
    }
    const nodeSets: [string, string | null][] = [
      ['<numatune><memory>', model.numatuneNodeset],
      ...model.memnodeNodesets.map((m): [string, string] => [`<memnode cellid='${m.cellid}'>`, m.nodeset]),
    ];
    for (const [where, set] of nodeSets) {
      if (!set) continue;
      const absent = parseCpuSet(set).filter((c) => !cells.has(c));
      if (absent.length) problems.push(`${where} names NUMA cell ${absent.join(',')}`);
    }
    if (problems.length) {
      return fail(
        `the destination (CPUs ${Math.min(...cpuIds)}-${Math.max(...cpuIds)}, cells ${[...cells].join(',')}) lacks what the guest pins to: ` +
          `${problems.join('; ')}; adapt the XML for the destination`,
      );
    }
    return pass('every pinned CPU and NUMA cell exists on the destination');
  },
};
