/**
 * The built-ins' facts in dependent waves (src/pmc/prefetch.ts), counted on
 * the libvirt calls themselves: each answer is held back until every call in
 * flight is answered (test/helpers/call-waves.ts), as over a slow wire, so a
 * call's wave is how many round trips it waited for.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckFile, type Connection, type Report, type RunOptions } from '../../src/index.js';
import { useFixtureHosts } from '../helpers/fixture-hosts.js';
import { logCallWaves, type CallWaves } from '../helpers/call-waves.js';

/**
 * Where the guest runs after a check (locateGuest): the run's own answers of
 * its first waves; a run that asked nothing (cancelled) asks them at the end.
 */
const LOCATE = ['destination.lookupDomainByUUID', 'source.domain(guest1).getState'];

describe('the fact graph in waves', () => {
  const hosts = useFixtureHosts({ a: 'host-a', b: 'host-b', c: 'host-c' });

  /** host-a's guest1 checked against `destination`, its libvirt calls logged in waves. */
  async function checkInWaves(
    destination: Connection,
    options: RunOptions,
  ): Promise<{ waves: CallWaves; report: Report }> {
    const guest = await hosts.a.lookupDomainByName('guest1');
    const waves = logCallWaves(hosts.a, destination, [guest]);
    try {
      return { waves, report: await guest.checkPMC(destination, options) };
    } finally {
      waves.restore();
    }
  }

  it('asks everything the built-ins need, and where the guest runs, in 2 waves (connections, then the XML)', async () => {
    const { waves } = await checkInWaves(hosts.b, { live: true });
    for (let w = 1; w <= waves.waves; w++) console.log(`[measure] wave ${w}: ${waves.keysOf(w).join(', ')}`);
    // No wave after the checks: where the guest runs comes from waves 1 and 2.
    expect(waves.waves).toBe(2);
    // Wave 1: what depends on the connections only, the XML among it.
    expect(waves.keysOf(1)).toEqual(
      expect.arrayContaining([
        'source.domain(guest1).getXMLDesc',
        'source.domain(guest1).getState',
        'source.getCapabilities',
        'destination.getCapabilities',
        'destination.listAllStoragePools',
        'destination.listAllNetworks',
        'destination.lookupDomainByName',
        'destination.lookupDomainByUUID',
      ]),
    );
    // Wave 2: what the XML names (its disk on both hosts, the domain capabilities, the jobs).
    expect(waves.keysOf(2)).toEqual([
      'destination.getDomainCapabilities',
      'destination.lookupStorageVolByPath',
      'source.domain(guest1).getBlockJobInfo',
      'source.domain(guest1).getJobInfo',
      'source.lookupStorageVolByPath',
    ]);
    // Nothing asked twice.
    const keys = waves.calls.map((c) => c.key);
    expect(keys.length).toBe(new Set(keys).size);
  });

  it('asks whether the guest found on the destination runs once, in wave 2 (domain.name-free)', async () => {
    const { waves } = await checkInWaves(hosts.c, { live: true });
    const isActiveOnDestination = waves.calls.filter((c) => c.key === 'destination.domain(guest1).isActive');
    // Once, for the checks (found by name and by UUID) and for where the guest runs after them.
    expect(isActiveOnDestination.map((c) => c.wave)).toEqual([2]);
    expect(waves.waves).toBe(2);
  });

  it('asks libvirt nothing for the checks (built-ins, check files) of a run cancelled before it starts', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pmc-waves-'));
    try {
      const file = path.join(dir, 'site.xml');
      writeFileSync(
        file,
        `<?xml version="1.0"?>\n<checks><check name="site.caps" severity="critical"><assert test="count($dstCaps/*) = 1"/></check></checks>\n`,
      );
      const checkFile = await loadCheckFile(file);
      const { waves, report } = await checkInWaves(hosts.b, {
        live: true,
        checkFiles: [checkFile],
        signal: AbortSignal.abort(),
      });
      expect(report.cancelled).toBe(true);
      // Only what the report itself says: both hosts' names, and where the guest is.
      expect(waves.calls.map((c) => c.key).sort()).toEqual(
        [...LOCATE, 'source.getHostname', 'source.getURI', 'destination.getHostname', 'destination.getURI'].sort(),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
