/**
 * What `pmc` loads before it can answer: `--version` and the listing of the
 * built-ins need no addon, so they work with PMC_ADDON pointing nowhere (the
 * loader then tries that path alone); a check file does need it, which shows
 * the variable is honoured. Wall times are in README's Performance section.
 */
import { describe, expect, it } from 'vitest';
import { startPmc } from '../helpers/cli.js';

const NO_ADDON = { PMC_ADDON: '/nonexistent/pmc.node' };
const run = (args: string[]) => startPmc(args, NO_ADDON).done;

describe('pmc start-up', () => {
  it('pmc --version loads no addon', async () => {
    const r = await run(['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(r.code).toBe(0);
  });

  it('pmc checks lists the built-ins without loading the addon', async () => {
    const r = await run(['checks', '--json']);
    expect(r.stderr).toBe('');
    const names = (JSON.parse(r.stdout) as { name: string }[]).map((c) => c.name);
    expect(names).toContain('cpu.compatible');
    expect(r.code).toBe(0);
  });

  it('pmc checks --checks-file does load it (and says so when it is missing)', async () => {
    const r = await run(['checks', '--checks-file', 'examples/checks/site-rules.xml']);
    expect(r.stderr).toMatch(/native addon is not built \(looked for \/nonexistent\/pmc\.node\)/);
    expect(r.code).toBe(1);
  });

  it('--help still lists every command, although none is loaded for --version', async () => {
    const r = await run(['--help']);
    for (const command of ['migrate', 'check', 'checks', 'demo', 'lab'])
      expect(r.stdout).toMatch(new RegExp(`\\n  ${command} `));
  });
});
