/**
 * `pmc demo` end to end: it brings up a lab of its own (id cli-demo, apart from
 * the shared e2e lab), migrates, shows the block, migrates back and takes its
 * lab down again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { LAB_VM, LAB_VM_DISK, labDown, labStatus } from '../../src/lab/index.js';
import { runPmc } from '../helpers/cli.js';

const DEMO_LAB = 'cli-demo';

describe('pmc demo', () => {
  afterAll(async () => {
    // Only if the demo failed to clean up after itself.
    await labDown({ id: DEMO_LAB });
  }, 120_000);

  it('migrates, is blocked by a critical check, migrates back, and takes its lab down', async () => {
    const { code, stdout, stderr } = await runPmc(['demo', '--no-color'], { PMC_LAB_ID: DEMO_LAB });
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/== 2\/5 .*\n[\s\S]*?Migration: succeeded in/);
    expect(stdout).toMatch(/^Verdict: BLOCKED by .*; nothing was migrated$/m);
    expect(stdout).toContain(`${LAB_VM_DISK} runs on: host-1 (nothing moved: yes)`);
    expect(stdout).toContain('== 5/5 Bringing the lab down');
    expect(stdout).toContain('Demo done:');
    // Each guest ran on exactly one host (host-1) before the demo's lab came down.
    for (const guest of [LAB_VM, LAB_VM_DISK]) expect(stdout).toMatch(new RegExp(`^${guest} runs on: host-1$`, 'm'));
    expect(await labStatus({ id: DEMO_LAB })).toBeNull();
  }, 300_000);
});
