/** Every interface finds its network or bridge on the destination (oVirt, vSphere). */
import { access } from 'node:fs/promises';
import type { CheckDefinition } from '../pmc/types.js';
import { domainModel } from '../pmc/parsed-facts.js';
import { isLocalUri, outcomeOf } from './util.js';

/** A host bridge exists on a destination of this machine: /sys/class/net/<name>. */
async function localBridgeExists(name: string): Promise<boolean> {
  return access(`/sys/class/net/${name}`).then(
    () => true,
    () => false,
  );
}

export const networkPresent: CheckDefinition = {
  name: 'network.present',
  severity: 'critical',
  description:
    "Each interface's network exists and is active on the destination, and its bridge is present (oVirt network check, vSphere networks).",
  anchor:
    'oVirt MigrateVmCommand / NetworkPolicyUnit; vSphere CheckMigrate networks; libvirt qemuMigrationDstPrepareAny',
  remedy: 'Define and start the network on the destination (virsh net-define / net-start), or create the bridge there.',
  offline: 'no interface is plugged into a network or bridge there until the guest starts',
  async run({ facts }) {
    const model = await domainModel(facts);
    const [networks, dstUri] = await Promise.all([facts.destination.networks(), facts.destination.uri()]);
    const canSeeHost = isLocalUri(dstUri) && !dstUri.startsWith('test:');
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
        if (networks.some((n) => n.active && n.bridge === iface.bridge))
          notes.push(`${label} → bridge ${iface.bridge}`);
        else if (canSeeHost) {
          if (await localBridgeExists(iface.bridge)) notes.push(`${label} → bridge ${iface.bridge}`);
          else problems.push(`${label}: bridge ${iface.bridge} does not exist on the destination`);
        } else {
          // libvirt has no API for a remote host's plain bridges: say so instead of guessing.
          notes.push(
            `${label} → bridge ${iface.bridge} (not verifiable: no libvirt network uses it on the remote destination)`,
          );
        }
      }
    }
    return outcomeOf(problems, notes, 'the domain has no network or bridge interface');
  },
};
