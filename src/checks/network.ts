/** Every interface finds its network or bridge on the destination (oVirt, vSphere). */
import { access } from 'node:fs/promises';
import type { Facts } from '../pmc/facts.js';
import type { CheckDefinition } from '../pmc/types.js';
import { domainModel } from '../pmc/parsed-facts.js';
import { isLocalUri, notVerifiable, outcomeOf, pass } from './util.js';

/** A host bridge exists on a destination of this machine: /sys/class/net/<name>. */
async function localBridgeExists(name: string): Promise<boolean> {
  return access(`/sys/class/net/${name}`).then(
    () => true,
    () => false,
  );
}

/** Whether the destination runs on this machine (not the test driver), so its bridges are ours to look at. */
async function canSeeDestinationHost(facts: Facts): Promise<boolean> {
  const dstUri = await facts.destination.uri();
  return isLocalUri(dstUri) && !dstUri.startsWith('test:');
}

/**
 * The plain bridges (`<interface type='bridge'>`) nothing can tell about: no
 * active libvirt network of the destination uses them and the destination is
 * another machine (libvirt has no API for a remote host's bridges).
 */
async function unverifiableBridges(facts: Facts): Promise<{ label: string; bridge: string }[]> {
  const [model, networks, local] = await Promise.all([
    domainModel(facts),
    facts.destination.networks(),
    canSeeDestinationHost(facts),
  ]);
  if (local) return [];
  return model.interfaces
    .filter((i) => i.type === 'bridge' && i.bridge && !networks.some((n) => n.active && n.bridge === i.bridge))
    .map((i) => ({ label: i.mac ?? i.type, bridge: i.bridge! }));
}

export const networkPresent: CheckDefinition = {
  name: 'network.present',
  severity: 'critical',
  description:
    "Each interface's network exists and is active on the destination, and its bridge is present where that can be seen (oVirt network check, vSphere networks).",
  anchor:
    'oVirt MigrateVmCommand / NetworkPolicyUnit; vSphere CheckMigrate networks; libvirt qemuMigrationDstPrepareAny',
  remedy: 'Define and start the network on the destination (virsh net-define / net-start), or create the bridge there.',
  offline: 'no interface is plugged into a network or bridge there until the guest starts',
  async run({ facts }) {
    const model = await domainModel(facts);
    const [networks, canSeeHost, unknown] = await Promise.all([
      facts.destination.networks(),
      canSeeDestinationHost(facts),
      unverifiableBridges(facts),
    ]);
    const problems: string[] = [];
    const notes: string[] = [];
    for (const iface of model.interfaces) {
      const label = iface.mac ?? iface.type;
      if (iface.type === 'network' && iface.network) {
        const net = networks.find((n) => n.name === iface.network);
        if (!net) problems.push(`${label}: network ${iface.network} does not exist on the destination`);
        else if (!net.active)
          problems.push(`${label}: network ${iface.network} is not active on the destination (net-start it)`);
        else if (net.bridge && canSeeHost && !(await localBridgeExists(net.bridge))) {
          problems.push(`${label}: network ${iface.network}'s bridge ${net.bridge} is absent on the destination`);
        } else notes.push(`${label} → ${iface.network}`);
      } else if (iface.type === 'bridge' && iface.bridge) {
        if (unknown.some((u) => u.bridge === iface.bridge)) {
          notes.push(`${label} → bridge ${iface.bridge} (left to network.bridge)`);
        } else if (
          networks.some((n) => n.active && n.bridge === iface.bridge) ||
          (await localBridgeExists(iface.bridge))
        )
          notes.push(`${label} → bridge ${iface.bridge}`);
        else problems.push(`${label}: bridge ${iface.bridge} does not exist on the destination`);
      }
    }
    return outcomeOf(problems, notes, 'the domain has no network or bridge interface');
  },
};

/** The part of network.present nothing can verify: a warning, so that only `strict` blocks on it. */
export const networkBridge: CheckDefinition = {
  name: 'network.bridge',
  severity: 'warning',
  description:
    'Each plain host bridge an interface uses is known to exist on the destination; a remote bridge no libvirt network uses cannot be seen.',
  anchor: 'libvirt has no API for a remote host bridge; the destination QEMU fails to start without it',
  remedy:
    'Make sure the bridge exists on the destination (ip link show), or define a libvirt network for it there (<forward mode="bridge"/>).',
  offline: 'no interface is plugged into a bridge there until the guest starts',
  async run({ facts }) {
    const unknown = await unverifiableBridges(facts);
    if (unknown.length) {
      return notVerifiable(
        `${unknown.map((u) => `bridge ${u.bridge} (${u.label})`).join(', ')} on the remote destination: no libvirt network uses it`,
      );
    }
    return pass('every bridge the interfaces use is verified by network.present (or none is used)');
  },
};
