/**
 * The demo's view of the two-host QEMU lab (src/lab). The lab's API lands from
 * the lab engineer; this adapter is the one place that wires it in.
 */
import { CliError } from './errors.js';

export interface DemoLab {
  /** Connection URIs of the two libvirt daemons. */
  host1Uri: string;
  host2Uri: string;
  /** A running guest whose disk both hosts share. */
  sharedDiskGuest: string;
  /** A running guest whose disk lives only on host 1. */
  localDiskGuest: string;
  down(): Promise<void>;
}

export async function bringLabUp(log: (line: string) => void): Promise<DemoLab> {
  void log;
  throw new CliError('the two-host lab (src/lab) is not in this build yet: pull it from main');
}
