// migratePMC against `virsh migrate` on the same lab guest, and the JS event
// loop's delay while checks and a migration run. Interleaved rounds, medians,
// ratios: the machines are shared and noisy, only ratios measured in one run
// compare. Needs root (the lab); brings its own lab up and down.
//
//   npm run build:ts && node bench/migrate.bench.mjs [rounds]
import { spawnSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Connection, builtinChecks } from '../dist/index.js';
import { LAB_VM, labDown, labUp } from '../dist/lab/index.js';

const ROUNDS = Number(process.argv[2] ?? 5);
const id = process.env.PMC_LAB_ID ?? 'bench';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const lab = await labUp({ id });
const [h1, h2] = lab.hosts;
try {
  const conns = [await Connection.open(h1.uri), await Connection.open(h2.uri)];
  // 50 extra no-op JS checks beside the built-ins: the runner's JS path under load.
  const extra = Array.from({ length: 50 }, (_, i) => ({
    name: `bench.noop${i}`,
    severity: 'info',
    description: 'does nothing',
    run: async () => true,
  }));

  async function viaPMC(from, to) {
    const dom = await conns[from].lookupDomainByName(LAB_VM);
    const started = performance.now();
    const report = await dom.migratePMC(conns[to], {
      live: true,
      migrateUri: lab.hosts[to].migrationUri,
      checks: extra,
    });
    const ms = performance.now() - started;
    if (!report.migration.succeeded) {
      const failed = report.checks.filter((c) => c.status !== 'pass' && c.severity !== 'info');
      throw new Error(
        `migratePMC did not migrate: ${report.verdict} ${JSON.stringify(failed)} ${JSON.stringify(report.migration.error)}`,
      );
    }
    return { ms, checksMs: Math.max(...report.checks.map((c) => c.durationMs)) };
  }

  function viaVirsh(from, to) {
    const started = performance.now();
    const r = spawnSync(
      'virsh',
      [
        '-c',
        lab.hosts[from].uri,
        'migrate',
        '--live',
        LAB_VM,
        lab.hosts[to].uri,
        '--migrateuri',
        lab.hosts[to].migrationUri,
      ],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`virsh migrate failed: ${r.stderr}`);
    return performance.now() - started;
  }

  // Warm up: the first migration after `lab up` is slower (QEMU and daemon caches).
  viaVirsh(0, 1);
  viaVirsh(1, 0);

  const pmc = [];
  const virsh = [];
  // A fresh monitor per migratePMC run: a re-enabled monitor would count the
  // time it was off (virsh's spawnSync blocks the loop) as delay.
  const loops = [];
  async function measured(fn) {
    const monitor = monitorEventLoopDelay({ resolution: 1 });
    monitor.enable();
    try {
      return await fn();
    } finally {
      monitor.disable();
      loops.push({ p50: monitor.percentile(50) / 1e6, p99: monitor.percentile(99) / 1e6, max: monitor.max / 1e6 });
    }
  }
  for (let r = 0; r < ROUNDS; r++) {
    // Each round: there with one tool, back with the other, alternating who goes first.
    if (r % 2 === 0) {
      pmc.push((await measured(() => viaPMC(0, 1))).ms);
      virsh.push(viaVirsh(1, 0));
    } else {
      virsh.push(viaVirsh(0, 1));
      pmc.push((await measured(() => viaPMC(1, 0))).ms);
    }
  }
  // End where we started.
  const d2 = await conns[1].lookupDomainByName(LAB_VM).catch(() => null);
  if (d2 && (await d2.isActive())) viaVirsh(1, 0);
  await Promise.all(conns.map((c) => c.close()));

  const worst = (key) => Math.max(...loops.map((l) => l[key]));
  console.log(`rounds: ${ROUNDS}, built-in checks: ${builtinChecks.length} + 50 no-op JS checks`);
  console.log(
    `migratePMC (checks + migration), median: ${median(pmc).toFixed(0)} ms   [${pmc.map((x) => x.toFixed(0)).join(', ')}]`,
  );
  console.log(
    `virsh migrate, median:                    ${median(virsh).toFixed(0)} ms   [${virsh.map((x) => x.toFixed(0)).join(', ')}]`,
  );
  console.log(`ratio of medians (target ≤ 1.05):          ${(median(pmc) / median(virsh)).toFixed(3)}`);
  console.log(
    `event-loop delay during migratePMC, worst run: p50 ${worst('p50').toFixed(2)} ms, p99 ${worst('p99').toFixed(2)} ms, max ${worst('max').toFixed(2)} ms (target p99 ≤ 5 ms)`,
  );
} finally {
  await labDown({ id });
}
