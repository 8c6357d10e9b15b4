/**
 * A plan file may not carry the options of one destination (issue 19, item 2):
 * with one candidate the checks look at the candidate while the source daemon
 * would dial `destinationUri` (or stream to `migrateUri`, …) as the file says.
 * Which options those are is the option table's `scope` column.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEvacuation } from '../../src/index.js';
import { migrationOptionTable, scopedOptions } from '../../src/options/index.js';
import { PER_DESTINATION } from '../../src/fleet/options.js';
import { runPmc } from '../helpers/cli.js';
import { useTempDirPerTest } from '../helpers/temp-dir.js';

const onePlan = (options: Record<string, unknown>) => ({
  version: 1,
  // URIs a file may name (src/fleet/plan-uri.ts); nothing is dialled.
  source: 'qemu+tcp://host-a.invalid/system',
  candidates: ['qemu+tcp://host-b.invalid/system'],
  options,
  guests: [],
});

describe('per-destination options in plan files', () => {
  const tmp = useTempDirPerTest('pmc-plan-options-');

  it('come from the option table', () => {
    expect(PER_DESTINATION).toEqual(scopedOptions('destination'));
    expect([...PER_DESTINATION].sort()).toEqual(
      ['destinationUri', 'disksUri', 'graphicsUri', 'listenAddress', 'migrateUri', 'tlsDestination'].sort(),
    );
  });

  it('are refused with one candidate, each of them', () => {
    expect(parseEvacuation(onePlan({ p2p: true })).candidates).toHaveLength(1);
    for (const name of PER_DESTINATION) {
      expect(migrationOptionTable[name].type).toBe('string');
      expect(() => parseEvacuation(onePlan({ p2p: true, [name]: 'tcp://elsewhere' })), name).toThrow(
        new RegExp(`plan\\.options\\.${name} names one destination's particulars, which a plan file may not choose`),
      );
    }
  });

  it("the issue's plan: pmc evacuate --plan refuses it before any connection", async () => {
    const file = path.join(tmp.path, 'plan.json');
    writeFileSync(
      file,
      JSON.stringify(onePlan({ p2p: true, destinationUri: 'qemu+ext://x/session?command=/tmp/x.sh' })),
    );
    const { code, stdout, stderr } = await runPmc(['evacuate', '--plan', file]);
    expect([code, stdout]).toEqual([1, '']);
    expect(stderr).toMatch(/plan\.options\.destinationUri names one destination's particulars/);
  });
});
