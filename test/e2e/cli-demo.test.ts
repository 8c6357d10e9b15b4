/**
 * `pmc demo` end to end: it brings up a lab of its own (its id derived from
 * this run's, apart from the shared e2e lab), migrates, shows the block, migrates back and takes its
 * lab down again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Connection, LibvirtError } from '../../src/index.js';
import { LAB_VM, LAB_VM_DISK, labDown, labStatus } from '../../src/lab/index.js';
import { labLayout } from '../../src/lab/layout.js';
import { runPmc } from '../helpers/cli.js';

/**
 * The demo's lab id, derived from this run's (PMC_LAB_ID): two e2e runs on one
 * machine must not share a demo lab, nor the port block of this run's lab.
 */
function demoLabId(runLabId: string): string {
  const block = (id: string) => labLayout({ id }).hosts[0]!.libvirtPorts.min;
  const base = runLabId.slice(0, 12);
  const id = ['demo', 'dm', 'd', 'dd'].map((suffix) => base + suffix).find((c) => block(c) !== block(runLabId));
  if (!id) throw new Error(`no demo lab id beside ${runLabId} with a port block of its own`);
  return id;
}

const DEMO_LAB = demoLabId(inject('lab').id);
const GUESTS = [LAB_VM, LAB_VM_DISK];

type Sample = Record<string, string[]>;

/**
 * Asks the demo lab's daemons, every 100 ms until `stop`, on which hosts each
 * guest runs: what libvirt says while the demo runs, not what the demo prints.
 */
async function watchDemoLab(stop: { done: boolean }): Promise<Sample[]> {
  const samples: Sample[] = [];
  const hosts = labLayout({ id: DEMO_LAB }).hosts;
  const conns = new Map<string, Connection>();
  while (!stop.done) {
    const sample: Sample = Object.fromEntries(GUESTS.map((g) => [g, []]));
    let answered = 0;
    for (const h of hosts) {
      try {
        let conn = conns.get(h.name);
        if (!conn?.isOpen) {
          conn = await Connection.open(h.uri);
          conns.set(h.name, conn);
        }
        for (const guest of GUESTS) {
          const dom = await conn.lookupDomainByName(guest).catch((e: unknown) => {
            if (e instanceof LibvirtError && e.code === 'VIR_ERR_NO_DOMAIN') return null;
            throw e;
          });
          if (dom && (await dom.isActive())) sample[guest]!.push(h.name);
        }
        answered++;
      } catch {
        conns
          .get(h.name)
          ?.close()
          .catch(() => undefined);
        conns.delete(h.name); // not up yet, or going down
      }
    }
    if (answered === hosts.length) samples.push(sample);
    await sleep(100);
  }
  await Promise.all([...conns.values()].map((c) => c.close().catch(() => undefined)));
  return samples;
}

describe('pmc demo', () => {
  afterAll(async () => {
    // Only if the demo failed to clean up after itself.
    await labDown({ id: DEMO_LAB });
  }, 120_000);

  it('migrates, is blocked by a critical check, migrates back, and takes its lab down', async () => {
    const stop = { done: false };
    const watching = watchDemoLab(stop);
    const { code, stdout, stderr } = await runPmc(['demo', '--no-color'], { PMC_LAB_ID: DEMO_LAB });
    stop.done = true;
    const samples = await watching;
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/== 2\/5 .*\n[\s\S]*?Migration: succeeded in/);
    expect(stdout).toMatch(/^Verdict: BLOCKED by .*; nothing was migrated$/m);
    expect(stdout).toContain(`${LAB_VM_DISK} runs on: host-1 (nothing moved: yes)`);
    expect(stdout).toContain('== 5/5 Bringing the lab down');
    expect(stdout).toContain('Demo done:');
    for (const guest of GUESTS) expect(stdout).toMatch(new RegExp(`^${guest} runs on: host-1$`, 'm'));
    // What libvirt said meanwhile: lab-vm really ran on host-2 alone, lab-vm-disk
    // never reached host-2, and the last time each guest ran anywhere before the
    // lab came down, it ran on host-1 alone.
    console.log(`[measure] ${samples.length} samples of the demo lab`);
    expect(samples.some((s) => s[LAB_VM]!.join() === 'host-2')).toBe(true);
    expect(samples.filter((s) => s[LAB_VM_DISK]!.includes('host-2'))).toEqual([]);
    for (const guest of GUESTS) {
      const running = samples.filter((s) => s[guest]!.length > 0);
      expect(running.at(-1)?.[guest], guest).toEqual(['host-1']);
    }
    expect(await labStatus({ id: DEMO_LAB })).toBeNull();
  }, 300_000);
});
