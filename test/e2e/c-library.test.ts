/**
 * The C library in the lab: libvirt-pmc built and installed with plain CMake
 * (scripts/test-c-library.sh), and examples/c, built against the installed
 * library alone, runs a check list (a C check, the example plugin, an XML
 * check file) and a checked live migration between the lab's two hosts.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Connection } from '../../src/index.js';
import { LAB_VM } from '../../src/lab/index.js';
import { expectRunsOnlyOn, host, whereRuns } from '../helpers/lab.js';

const lab = inject('lab');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const build = path.join(root, 'build-c-library');
// Outside the checkout: the script makes sure nothing of the build points into it.
const prefix = mkdtempSync(path.join(os.tmpdir(), 'pmc-c-e2e-'));
const example = path.join(build, 'example');

interface Run {
  status: number;
  output: string;
}

/** Runs the installed example; its exit status and everything it printed. */
async function runExample(args: string[], env: Record<string, string> = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(path.join(example, 'pmc-example'), args, {
      env: { ...process.env, ...env, LD_LIBRARY_PATH: path.join(prefix, 'lib') },
      timeout: 120_000,
    });
    return { status: 0, output: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof err.code === 'number' ? err.code : -1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

function exampleArgs(): string[] {
  return [
    '--migrate-uri',
    host(lab, 'host-2').migrationUri,
    path.join(example, 'libsite.so'),
    path.join(example, 'checks.xml'),
    LAB_VM,
    host(lab, 'host-1').uri,
    host(lab, 'host-2').uri,
  ];
}

/** Live-migrates the guest back to host 1 if it runs on host 2. */
async function bringBack(): Promise<void> {
  if ((await whereRuns(lab, LAB_VM)).join() !== 'host-2') return;
  const h2 = await Connection.open(host(lab, 'host-2').uri);
  const h1 = await Connection.open(host(lab, 'host-1').uri);
  try {
    const dom = await h2.lookupDomainByName(LAB_VM);
    await dom.migrate3(h1, { uri: host(lab, 'host-1').migrationUri }, 1 /* VIR_MIGRATE_LIVE */);
  } finally {
    await Promise.all([h1.close(), h2.close()]);
  }
}

describe('libvirt-pmc from C in the lab', () => {
  beforeAll(() => {
    // Builds, installs into `prefix`, builds the example against it, and runs
    // its own assertions on test:///default.
    execFileSync('bash', [path.join(root, 'scripts', 'test-c-library.sh')], {
      cwd: root,
      env: { ...process.env, PMC_C_PREFIX: prefix },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }, 300_000);
  afterAll(async () => {
    await bringBack();
    rmSync(prefix, { recursive: true, force: true });
  });

  it('a failing plugin check blocks: exit 2, nothing migrated, the guest runs on host 1 only', async () => {
    const h2 = await Connection.open(host(lab, 'host-2').uri);
    const dstName = await h2.getHostname().finally(() => h2.close());
    const run = await runExample(exampleArgs(), { PMC_SITE_MAINTENANCE: dstName });
    expect(run.output).toMatch(/^fail +critical +site\.maintenance +plugin:site +/m);
    expect(run.output).toMatch(/^verdict: blocked$/m);
    expect(run.output).not.toMatch(/^migration:/m);
    expect(run.status).toBe(2);
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });

  it('--check-only --rehearse: virDomainCheckPMC rehearses libvirt handshake, nothing moves', async () => {
    const run = await runExample(['--check-only', '--rehearse', ...exampleArgs()]);
    expect(run.output).toMatch(
      /^pass +critical +migration\.rehearsal +builtin +libvirt's Begin and Prepare accepted the migration, then it was cancelled \(Begin \d+ ms, Prepare \d+ ms, Finish \d+ ms, Confirm \d+ ms\)$/m,
    );
    expect(run.output).toMatch(/^verdict: allowed$/m);
    expect(run.status).toBe(0);
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });

  it('passing checks: the guest migrates live to host 2 (exit 0), and comes back', async () => {
    const run = await runExample(exampleArgs());
    // The C check, the plugin's two, the check file's three, all passing on real hosts.
    expect(run.output.match(/^pass /gm)).toHaveLength(6);
    expect(run.output).toMatch(/^pass +critical +example\.arch +xml +/m);
    expect(run.output).toMatch(/^pass +warning +example\.memory +xml +/m);
    expect(run.output).toMatch(/^verdict: allowed$/m);
    expect(run.output).toMatch(/^migration: succeeded$/m);
    expect(run.status).toBe(0);
    await expectRunsOnlyOn(lab, LAB_VM, 'host-2');
    await bringBack();
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  });
});
