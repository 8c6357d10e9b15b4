/**
 * The demo's view of the two-host QEMU lab (src/lab): the one place that
 * wires the lab's API into the demo.
 */
import { CliError } from './errors.js';

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
  /** A running guest whose disk both hosts share. */
  sharedDiskGuest: string;
  /** A running guest whose disk lives only on host 1. */
  localDiskGuest: string;
  down(): Promise<void>;
}

export async function bringLabUp(): Promise<DemoLab> {
  throw new CliError('the two-host lab (src/lab) is not in this build yet: pull it from main');
}
