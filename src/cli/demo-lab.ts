/**
 * The demo's view of the two-host QEMU lab (src/lab): the one place that
 * wires the lab's API into the demo.
 */
import { LAB_VM, LAB_VM_DISK, labDown, labUp, type LabHostInfo } from '../lab/index.js';
import { CliError } from '../errors.js';

export interface DemoHost {
  /** `host-1`, `host-2`. */
  name: string;
  /** The libvirt connection URI of the host's daemon. */
  uri: string;
  /** Where migrations *to* this host must stream (both daemons share one machine). */
  migrationUri: string;
}

export interface DemoLab {
  host1: DemoHost;
  host2: DemoHost;
  /** A running guest with no local storage: it can move as it is. */
  sharedDiskGuest: string;
  /** A running guest whose disk lives only on host 1. */
  localDiskGuest: string;
  down(): Promise<void>;
}

/** The demo's own lab id, so that it never takes down a lab someone started by hand. */
export const DEMO_LAB_ID = 'demo';

export async function bringLabUp(id: string = process.env.PMC_LAB_ID ?? DEMO_LAB_ID): Promise<DemoLab> {
  const info = await labUp({ id, hosts: 2 });
  const [host1, host2] = info.hosts.map((h: LabHostInfo): DemoHost => ({
    name: h.name,
    uri: h.uri,
    migrationUri: h.migrationUri,
  }));
  if (!host1 || !host2) {
    await labDown({ id });
    throw new CliError(`the lab "${id}" came up with ${info.hosts.length} host(s); the demo needs two`);
  }
  return { host1, host2, sharedDiskGuest: LAB_VM, localDiskGuest: LAB_VM_DISK, down: () => labDown({ id }) };
}
