/**
 * Listening TCP sockets of this machine, read from /proc/net/tcp{,6}: what a
 * lab daemon or a migration exposes, and on which address.
 */
import { readFileSync } from 'node:fs';

/** Listening TCP sockets (IPv4 and IPv6) whose port lies in `ports`, as `address:port`. */
export function listenersIn(ports: { min: number; max: number }): string[] {
  const found: string[] = [];
  for (const [file, v6] of [
    ['/proc/net/tcp', false],
    ['/proc/net/tcp6', true],
  ] as const) {
    for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A') continue; // TCP_LISTEN
      const [hexAddr, hexPort] = local!.split(':');
      const port = parseInt(hexPort!, 16);
      if (port < ports.min || port > ports.max) continue;
      // IPv4 is one little-endian word; any IPv6 listener is reported as such (the lab wants none).
      const address = v6
        ? `[${hexAddr}]`
        : [3, 2, 1, 0].map((i) => parseInt(hexAddr!.slice(i * 2, i * 2 + 2), 16)).join('.');
      found.push(`${address}:${port}`);
    }
  }
  return found;
}
