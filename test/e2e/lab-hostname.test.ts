/**
 * Each lab daemon's hostname resolves inside its own mount namespace (an
 * /etc/hosts of the lab's, bind-mounted), so libvirt's virGetHostname, which
 * canonicalises the name with getaddrinfo, never asks DNS for a name DNS does
 * not know (and never waits for the resolver's 5 s timeout). The machine's
 * /etc/hosts stays as it was.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { Connection } from '../../src/index.js';
import { daemonPid } from '../helpers/lab.js';

const lab = inject('lab');
/** Well under the resolver's 5 s timeout, well above a getHostname on this busy machine (a few ms). */
const HOSTNAME_BOUND_MS = 1000;

describe('lab hostnames', () => {
  it('resolve in each daemon’s namespace from its own /etc/hosts, not in the machine’s', async () => {
    for (const h of lab.hosts) {
      const pid = await daemonPid(lab, h.name);
      // getent through nsswitch, as getaddrinfo in libvirtd: the files source answers.
      const inside = execFileSync('nsenter', ['-t', String(pid), '-m', 'getent', 'ahosts', h.hostname], {
        encoding: 'utf8',
      });
      expect(inside).toMatch(new RegExp(`^127\\.0\\.1\\.1\\s+STREAM ${h.hostname}$`, 'm'));
      expect(readFileSync('/etc/hosts', 'utf8')).not.toContain(h.hostname);
      expect(spawnSync('getent', ['hosts', h.hostname]).status).not.toBe(0); // only the daemon's view changed
    }
  });

  it(`getHostname answers every host in under ${HOSTNAME_BOUND_MS} ms, and no host log shows getaddrinfo failed`, async () => {
    await Promise.all(
      lab.hosts.map(async (h) => {
        const conn = await Connection.open(h.uri);
        try {
          for (let i = 0; i < 10; i++) {
            const started = performance.now();
            expect(await conn.getHostname()).toBe(h.hostname);
            expect(performance.now() - started).toBeLessThan(HOSTNAME_BOUND_MS);
          }
        } finally {
          await conn.close();
        }
      }),
    );
    for (const h of lab.hosts) {
      const log = readFileSync(path.join(lab.dir, 'logs', `${h.name}.log`), 'utf8');
      expect(log).not.toMatch(/getaddrinfo failed/);
    }
  });
});
