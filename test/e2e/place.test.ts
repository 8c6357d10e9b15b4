/**
 * Placement and planning on the three-host QEMU lab (test/e2e/global-setup.ts):
 * `pmc place` names the best of two allowed candidates, finds none for the
 * local-disk guest (exit 2), and a plan whose capacity is crafted with
 * reserveMemoryMiB spreads the guests or refuses them instead of overfilling
 * a host. Nothing moves: every guest still runs on host 1.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { Connection, planEvacuation, type Placement } from '../../src/index.js';
import { LAB_VM, LAB_VM_DISK } from '../../src/lab/index.js';
import { runPmc } from '../helpers/cli.js';
import { host, whereRuns } from '../helpers/lab.js';

const lab = inject('lab');
const [host1, host2, host3] = ['host-1', 'host-2', 'host-3'].map((name) => host(lab, name));
const MiB = 2 ** 20;
/** The lab guests' memory (src/lab/guests.ts). */
const GUEST_MIB = 64;

describe('placement and planning on a three-host lab', () => {
  const conns: Connection[] = [];
  beforeAll(async () => {
    conns.push(...(await Promise.all([host1!, host2!, host3!].map((h) => Connection.open(h.uri)))));
  });
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close()));
  });
  afterEach(async () => {
    for (const guest of [LAB_VM, LAB_VM_DISK]) expect(await whereRuns(lab, guest)).toEqual(['host-1']);
  });

  it('pmc place: both candidates allow lab-vm, the best is named, exit 0', async () => {
    const { code, stdout, stderr } = await runPmc([
      '-c',
      host1!.uri,
      'place',
      '--live',
      '--link-speed',
      '1024',
      '--json',
      LAB_VM,
      host2!.uri,
      host3!.uri,
    ]);
    const placement = JSON.parse(stdout) as Placement;
    console.log(`[place] ${placement.candidates.map((c) => `${c.hostname}=${c.verdict}/${c.score}`).join(' ')}`);
    expect(placement.candidates.map((c) => c.verdict)).toEqual(['allowed', 'allowed']);
    expect(placement.candidates.map((c) => c.hostname).sort()).toEqual([host2!.hostname, host3!.hostname].sort());
    expect(placement.best).toBe(placement.candidates[0]!.uri);
    // Same machine, same CPU model, the same forecast: scores near the top and near each other.
    for (const c of placement.candidates) expect(c.score).toBeGreaterThan(40);
    expect(code, stderr).toBe(0);
  });

  it('pmc place: no candidate takes the local-disk guest (storage.shared), exit 2', async () => {
    const { code, stdout } = await runPmc([
      '-c',
      host1!.uri,
      'place',
      '--live',
      '--json',
      LAB_VM_DISK,
      host2!.uri,
      host3!.uri,
    ]);
    const placement = JSON.parse(stdout) as Placement;
    expect(placement.best).toBeNull();
    for (const c of placement.candidates) {
      expect(c.verdict).toBe('blocked');
      expect(c.checks.find((r) => r.name === 'storage.shared')?.status).toBe('fail');
    }
    expect(code).toBe(2);
  });

  it('a plan spreads guests when a host has room for one only, and refuses them when none has room', async () => {
    const [, h2, h3] = conns as [Connection, Connection, Connection];
    const options = { live: true, copyStorageAll: true, domains: [LAB_VM, LAB_VM_DISK] };
    // Both guests allowed everywhere (copied storage), and room for both on either host.
    const roomy = await planEvacuation(conns[0]!, [h2, h3], options);
    expect(roomy.guests.map((g) => g.verdict === 'blocked')).toEqual([false, false]);

    // All hosts share this machine's memory. Keep all of it but one guest and a half
    // reserved: each host takes one 64 MiB guest, never two, so the plan spreads.
    const freeMiB = Math.floor(Math.min(...(await Promise.all([h2.getFreeMemory(), h3.getFreeMemory()]))) / MiB);
    const spread = await planEvacuation(conns[0]!, [h2, h3], {
      ...options,
      reserveMemoryMiB: freeMiB - Math.round(GUEST_MIB * 1.5),
    });
    console.log(`[plan] free ${freeMiB} MiB: ${spread.guests.map((g) => `${g.domain}→${g.destination}`).join(' ')}`);
    const destinations = spread.guests.map((g) => g.destination);
    expect(destinations).not.toContain(null);
    expect(new Set(destinations).size).toBe(2);

    // Room for half a guest: every guest refused for capacity, none overfills.
    const full = await planEvacuation(conns[0]!, [h2, h3], { ...options, reserveMemoryMiB: freeMiB - GUEST_MIB / 2 });
    for (const g of full.guests) {
      expect(g).toMatchObject({ destination: null, verdict: 'blocked' });
      expect(g.reason).toMatch(/^capacity: the checks allow /);
    }
  });
});
