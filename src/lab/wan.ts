/**
 * A WAN on one machine: one delaying proxy per host in front of its daemon
 * (`labUp({ rtt })`), run as the host's user like the daemon itself, its socket
 * in the user's runtime directory. Only libvirt's RPC is delayed; QEMU's
 * migration stream goes straight between the hosts.
 */
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '../binding/connection.js';
import { delayProxyScript } from './delay-proxy.js';
import type { HostLayout } from './layout.js';
import { isRunning, processRef, stopProcess, type ProcessRef } from './processes.js';
import { openAppendNoFollow } from './root-fs.js';
import type { Account } from './users.js';

const PROXY_START_TIMEOUT_MS = 10_000;
/** The largest RTT `--rtt` takes: a minute per round trip is no network any more. */
export const MAX_RTT_MS = 60_000;

export function checkRtt(rtt: number): number {
  if (!Number.isFinite(rtt) || rtt < 0 || rtt > MAX_RTT_MS) {
    throw new Error(`invalid RTT ${rtt}: use 0 (no proxy) to ${MAX_RTT_MS} ms`);
  }
  return rtt;
}

/**
 * Starts the host's proxy as its user (`setpriv`, then `node -e`: the proxy
 * reads no file of ours, and creates its socket with the user's rights only).
 * The recorded pid is node's: setpriv execs it.
 */
export function startProxy(host: HostLayout, account: Account, rttMs: number): ProcessRef {
  const log = openAppendNoFollow(host.proxyLogFile); // in the root-owned logs/: no link to follow
  const child = spawn(
    'setpriv',
    [
      `--reuid=${account.uid}`,
      `--regid=${account.gid}`,
      '--init-groups',
      '--',
      process.execPath,
      '-e',
      delayProxyScript(),
      '--',
      host.proxySocket,
      host.socket,
      String(rttMs / 2),
    ],
    {
      detached: true, // like the daemon: a Ctrl-C of the caller does not stop it behind `down`'s back
      stdio: ['ignore', log, log],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: host.dir },
    },
  );
  closeSync(log);
  child.unref();
  const ref = child.pid === undefined ? null : processRef(child.pid);
  if (!ref) throw new Error(`the delaying proxy of ${host.name} did not start (see ${host.proxyLogFile})`);
  return ref;
}

/** Waits until the daemon answers through the proxy as the expected hostname. */
export async function waitForProxy(host: HostLayout, proxy: ProcessRef): Promise<void> {
  const deadline = Date.now() + PROXY_START_TIMEOUT_MS;
  for (;;) {
    if (!isRunning(proxy)) throw new Error(`the delaying proxy of ${host.name} exited (see ${host.proxyLogFile})`);
    try {
      const conn = await Connection.open(host.proxyUri);
      try {
        const hostname = await conn.getHostname();
        if (hostname !== host.hostname) throw new Error(`${host.proxySocket} answers as ${hostname}`);
        return;
      } finally {
        await conn.close();
      }
    } catch (error) {
      if (error instanceof Error && / answers as /.test(error.message)) throw error;
      // Not listening yet: retry until the deadline.
    }
    if (Date.now() > deadline) {
      throw new Error(`the delaying proxy of ${host.name} did not answer within ${PROXY_START_TIMEOUT_MS / 1000} s`);
    }
    await sleep(25);
  }
}

export async function stopProxy(proxy: ProcessRef | null | undefined): Promise<void> {
  if (proxy) await stopProcess(proxy, 2000);
}
