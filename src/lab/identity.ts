/**
 * Which daemon root reached through a lab host's socket. The socket path runs
 * through the lab user's own tree, so a lab user can plant a link there to
 * another lab's socket (Node cannot connect without following links, nor read
 * SO_PEERCRED); what a user cannot do is make another lab's daemon answer with
 * this host's name and host UUID. Root asks both before it destroys anything.
 */
import type { Connection } from '../binding/connection.js';
import type { HostLayout } from './layout.js';

/** The host UUID of a daemon's capabilities (libvirtd.conf's host_uuid, which the lab sets per host). */
function hostUUIDOf(capabilities: string): string | null {
  return /<host>\s*<uuid>([0-9a-f-]+)<\/uuid>/i.exec(capabilities)?.[1]?.toLowerCase() ?? null;
}

/** Why the daemon behind `conn` is not `host`'s, or null when its hostname and host UUID are the host's. */
export async function notLabHost(
  conn: Connection,
  host: Pick<HostLayout, 'hostname' | 'hostUUID'>,
): Promise<string | null> {
  const [hostname, capabilities] = await Promise.all([conn.getHostname(), conn.getCapabilities()]);
  const uuid = hostUUIDOf(capabilities);
  if (hostname !== host.hostname) return `it answers as host ${hostname}, not ${host.hostname}`;
  if (uuid !== host.hostUUID) return `its host UUID is ${uuid ?? 'not given'}, not ${host.hostUUID}`;
  return null;
}
