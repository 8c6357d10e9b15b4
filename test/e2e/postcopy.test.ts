/**
 * Post-copy in the lab: `labUp({ postcopy: true })` gives the lab its own QEMU
 * with CAP_SYS_PTRACE (userfaultfd for an unprivileged QEMU, docs/lab.md), and
 * guests that name it as their emulator migrate post-copy. The guests here
 * dirty 32 MiB/s of their 128 MiB while pre-copy may send 32 MiB/s or less:
 * pre-copy alone never converges, so a migration that finishes is one that
 * switched to post-copy. Every case ends with the guest on exactly one host.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { constants, isLibvirtError, type Domain, type LifecycleEvent } from '../../src/index.js';
import { LAB_VM, labUp, startDirtier } from '../../src/lab/index.js';
import { removeEverywhere, uniqueName } from '../helpers/check-lab.js';
import { parseReport, runPmc } from '../helpers/cli.js';
import { expectRunsOnlyOn, host, useLabHosts } from '../helpers/lab.js';

const lab = inject('lab');
const LIVE = constants.VIR_MIGRATE_LIVE!;
const POSTCOPY = constants.VIR_MIGRATE_POSTCOPY!;
const DIRTY_MIB_S = 32;
/** The guest has filled its RAM with non-zero data (about 1 s under TCG). */
const FILL_MS = 3000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('post-copy in the lab (up --postcopy)', () => {
  const hosts = useLabHosts(lab);
  const names: string[] = [];
  let emulator: string;
  const sourceEvents: LifecycleEvent[] = [];

  beforeAll(async () => {
    const info = await labUp({ id: lab.id, postcopy: true });
    expect(info.postcopyEmulator).toMatch(/\/emulator\/qemu-system-x86_64$/);
    emulator = info.postcopyEmulator!;
    hosts.h1.on('lifecycle', (e) => sourceEvents.push(e));
    await hosts.h1.eventsReady();
  }, 120_000);

  afterEach(async () => {
    for (const name of names.splice(0)) await removeEverywhere([hosts.h1, hosts.h2], name);
    sourceEvents.length = 0;
  });

  afterAll(async () => {
    hosts.h1?.removeAllListeners('lifecycle');
    await labUp({ id: lab.id, postcopy: false }); // the other test files' lab, as it was
  }, 120_000);

  async function dirtier(): Promise<Domain> {
    const name = uniqueName('pc');
    names.push(name);
    const dom = await startDirtier(hosts.h1, lab, {
      name,
      memoryMiB: 128,
      rateKiB: DIRTY_MIB_S * 1024,
      emulator,
    });
    await sleep(FILL_MS);
    return dom;
  }

  /** The source said its guest went on on the destination: suspended, detail post-copy (the event may trail). */
  async function expectPostcopyEvent(dom: Domain): Promise<void> {
    const seen = () =>
      sourceEvents.some((e) => e.domain.uuid === dom.uuid && e.event === 'suspended' && e.detail === 'postcopy');
    for (let i = 0; i < 100 && !seen(); i++) await sleep(20);
    expect(seen(), `lifecycle events: ${JSON.stringify(sourceEvents.map((e) => [e.event, e.detail]))}`).toBe(true);
  }

  /** `pmc -c host-1 migrate --live --postcopy ARGS… DOMAIN host-2`, and how long it took. */
  async function postcopyMigrate(dom: Domain, ...args: string[]) {
    const started = Date.now();
    const result = await runPmc([
      ...['-c', host(lab, 'host-1').uri, 'migrate', '--live', '--postcopy', ...args],
      ...[dom.name, host(lab, 'host-2').uri],
    ]);
    return { result, seconds: (Date.now() - started) / 1000 };
  }

  it("without the lab's copy QEMU refuses post-copy (no userfaultfd); the guest stays on host 1", async () => {
    const dom = await hosts.h1.lookupDomainByName(LAB_VM); // the system's QEMU
    const error = await dom.migrate3(hosts.h2, {}, LIVE | POSTCOPY).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/[Pp]ostcopy is not supported/);
    await expectRunsOnlyOn(lab, LAB_VM, 'host-1');
  }, 60_000);

  it('pmc migrate --postcopy --postcopy-after-precopy switches after the first pass: done, the guest on host 2', async () => {
    const dom = await dirtier();
    // At 32 MiB/s the first pass takes 4 s; pre-copy alone would resend all 128 MiB every pass.
    const { result, seconds } = await postcopyMigrate(dom, '--postcopy-after-precopy', '--bandwidth', '32', '--json');
    console.log(`[postcopy] --postcopy-after-precopy: done in ${seconds.toFixed(1)} s`);
    expect(result.stderr).toMatch(/first pre-copy pass is over: the migration switched to post-copy/);
    expect(result.code, result.stderr).toBe(0);
    const report = parseReport<{ migration: { succeeded: boolean }; domainLocation: string }>(result.stdout);
    expect(report.migration.succeeded).toBe(true);
    expect(report.domainLocation).toBe('destination');
    expect(seconds).toBeLessThan(20); // measured 9.5 s; pre-copy alone never ends
    await expectPostcopyEvent(dom);
    await expectRunsOnlyOn(lab, dom.name, 'host-2');
  }, 90_000);

  it('pmc migrate --timeout 2 --timeout-postcopy switches to post-copy instead of suspending: the guest runs on host 2', async () => {
    const dom = await dirtier();
    // At 8 MiB/s the first pass alone takes 16 s; the switch comes at 2 s.
    const { result, seconds } = await postcopyMigrate(dom, '--timeout', '2', '--timeout-postcopy', '--bandwidth', '8');
    console.log(`[postcopy] --timeout 2 --timeout-postcopy: done in ${seconds.toFixed(1)} s`);
    expect(result.stderr).toMatch(/ran longer than --timeout 2 s: the migration switched to post-copy/);
    expect(result.stderr).not.toMatch(/suspended/);
    expect(result.code, result.stderr).toBe(0);
    expect(seconds).toBeLessThan(12); // measured 5.1 s; suspending instead took 33 s
    await expectPostcopyEvent(dom);
    // Running, not paused: a --timeout-suspend migration ends with the guest paused on the destination.
    await expectRunsOnlyOn(lab, dom.name, 'host-2');
  }, 90_000);

  it('an abort during post-copy cannot abort: the report says the migration succeeded and the guest runs on host 2', async () => {
    const dom = await dirtier();
    const controller = new AbortController();
    let switching: Promise<void> | undefined;
    let switchError: unknown = null;
    let directAbort: unknown;
    const report = await dom.migratePMC(hosts.h2, {
      live: true,
      postcopy: true,
      bandwidth: 32,
      bandwidthPostcopy: 16, // about 8 s of post-copy for 128 MiB: the abort lands inside it
      noBuiltins: true,
      signal: controller.signal,
      onProgress: (p) => {
        // QEMU takes the switch once the migration moves data (before, it has no post-copy capability yet).
        if (p.dataProcessed === 0) return;
        switching ??= dom
          .migrateStartPostCopy()
          .then(async () => {
            // The switch is asynchronous: wait until libvirt sees post-copy (the source pauses, reason postcopy).
            for (let i = 0; i < 500 && (await dom.getState()).reasonName !== 'postcopy'; i++) await sleep(10);
            // libvirt's own answer to an abort now, then the run's signal.
            directAbort = await dom.abortJob().then(
              () => null,
              (e: unknown) => e,
            );
          })
          .catch((e: unknown) => void (switchError = e))
          .finally(() => controller.abort());
      },
    });
    await switching;
    expect(switchError).toBeNull();
    expect(isLibvirtError(directAbort, 'VIR_ERR_OPERATION_INVALID'), String(directAbort)).toBe(true);
    expect((directAbort as Error).message).toMatch(/post-copy/);
    expect(report.cancelled).toBe(true);
    expect(report.migration.succeeded).toBe(true);
    expect(report.domainLocation).toBe('destination');
    await expectPostcopyEvent(dom);
    await expectRunsOnlyOn(lab, dom.name, 'host-2');
  }, 90_000);
});
