// The destination gate's cost (docs/hook.md): plain `virsh migrate --live` of
// the lab's 64 MiB guest with the gate installed on both hosts vs without
// (and, for the floor any hook pays, with a hook that does nothing),
// interleaved round by round (the machine is shared and noisy: only ratios
// measured in one run compare), and the gate's own time: as it journals it
// (from its start to its answer) and as a whole process (the hook script run
// as libvirt runs it, node's start-up included). Needs root (the lab); brings
// its own lab up and down.
//
//   npm run build && PMC_LAB_ID=bench node bench/hook.bench.mjs [rounds]
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { installGate, uninstallGate } from '../dist/gate/install.js';
import { readJournal } from '../dist/gate/journal.js';
import { LAB_VM, labDown, labUp } from '../dist/lab/index.js';

const ROUNDS = Number(process.argv[2] ?? 10);
const id = process.env.PMC_LAB_ID ?? 'bench';
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const quantile = (xs, q) => sorted(xs)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];
const median = (xs) => quantile(xs, 0.5);

const lab = await labUp({ id });
const [h1, h2] = lab.hosts;
// A hook that does nothing: what libvirt's running of any qemu hook costs a migration (it runs
// every qemu.d entry for each operation: prepare, start, started, stopped, release, migrate…).
const noop = (h) => path.join(h.hooksDir, 'qemu.d', 'pmc-bench-noop');
try {
  function virsh(...args) {
    const r = spawnSync('virsh', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`virsh ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  }
  /** lab-vm there and back with plain virsh; the two migrations' wall time. */
  function roundTrip() {
    const started = performance.now();
    virsh('-c', h1.uri, 'migrate', '--live', LAB_VM, h2.uri);
    virsh('-c', h2.uri, 'migrate', '--live', LAB_VM, h1.uri);
    return performance.now() - started;
  }
  async function mode(m) {
    for (const h of [h1, h2]) {
      uninstallGate(h.hooksDir);
      rmSync(noop(h), { force: true });
      if (m === 'gate' && (await installGate({ hooksDir: h.hooksDir })).daemonMustReload) process.kill(h.pid, 'SIGHUP');
      if (m === 'noop') writeFileSync(noop(h), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    }
  }
  await mode('gate'); // once, so both daemons know of qemu hooks (a reload) before the first round
  roundTrip(); // warm-up
  const times = { none: [], noop: [], gate: [] };
  const modes = Object.keys(times);
  const journalBefore = [h1, h2].map((h) => readJournal(h.journalDir).length);
  for (let i = 0; i < ROUNDS; i++) {
    // Rotate which goes first, so a drift in the machine's load favours none.
    for (let k = 0; k < modes.length; k++) {
      const m = modes[(i + k) % modes.length];
      await mode(m);
      times[m].push(roundTrip());
    }
  }
  const { none: without, gate: withGate } = times;
  const journaled = [h1, h2].flatMap((h, i) => readJournal(h.journalDir).slice(journalBefore[i]));
  if (journaled.length !== 2 * ROUNDS || journaled.some((e) => e.verdict !== 'allowed')) {
    throw new Error(`expected ${2 * ROUNDS} allowed decisions in the journals, found ${JSON.stringify(journaled)}`);
  }
  const own = journaled.map((e) => e.durationMs);

  // The whole hook process, as libvirt runs it, on the guest's migratable definition.
  await mode('gate');
  const xml = virsh('-c', h1.uri, 'dumpxml', '--migratable', LAB_VM);
  const script = `${h2.hooksDir}/qemu.d/pmc-gate`;
  const proc = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    const r = spawnSync(script, [LAB_VM, 'migrate', 'begin', '-'], {
      input: xml,
      env: { HOME: '/tmp/pmc-hook-bench' },
    });
    proc.push(performance.now() - started);
    if (r.status !== 0) throw new Error(`the gate refused: ${r.stderr}`);
  }
  await mode('none');

  const fmt = (ms) => `${ms.toFixed(0)} ms`;
  console.log(`virsh migrate --live ${LAB_VM} (64 MiB), there and back, ${ROUNDS} interleaved rounds each:`);
  console.log(`  without the gate: median ${fmt(median(without))} per round trip`);
  console.log(`  with the gate:    median ${fmt(median(withGate))} per round trip`);
  console.log(`  with a no-op hook: median ${fmt(median(times.noop))} per round trip`);
  console.log(`  ratio with/without: ${(median(withGate) / median(without)).toFixed(3)}`);
  console.log(
    `  ratio no-op hook/without: ${(median(times.noop) / median(without)).toFixed(3)} (libvirt's running of any hook)`,
  );
  console.log(
    `the gate's own time (journal, ${own.length} decisions): median ${median(own).toFixed(1)} ms, p99 ${quantile(own, 0.99).toFixed(1)} ms`,
  );
  console.log(
    `the hook process (node start-up included, 20 runs): median ${fmt(median(proc))}, p99 ${fmt(quantile(proc, 0.99))}`,
  );
} finally {
  for (const h of [h1, h2]) {
    try {
      uninstallGate(h.hooksDir);
      rmSync(noop(h), { force: true });
    } catch {
      // already gone
    }
  }
  await labDown({ id });
}
