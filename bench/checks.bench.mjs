#!/usr/bin/env node
// The full built-in suite against the lab: wall time of the check phase and
// the number of libvirt calls it makes. Needs root and a build (npm run build).
//   PMC_LAB_ID=checks node bench/checks.bench.mjs [runs]
// Brings the lab up (idempotent) and down again unless PMC_LAB_KEEP=1.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { Connection } = await import(path.join(root, 'dist/index.js'));
const { labUp, labDown, LAB_VM_DISK } = await import(path.join(root, 'dist/lab/index.js'));

const runs = Number(process.argv[2] ?? 10);
const id = process.env.PMC_LAB_ID ?? 'checks';
const lab = await labUp({ id });
const [src, dst] = await Promise.all(lab.hosts.slice(0, 2).map((h) => Connection.open(h.uri)));

/** A JS check that hands back the run's facts, to count the libvirt calls of the built-ins. */
function capture(sink) {
  return {
    name: 'bench.capture',
    severity: 'info',
    description: 'captures the facts of the run',
    run(ctx) {
      sink.facts = ctx.facts;
      return true;
    },
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function scenario(label, options) {
  const dom = await src.lookupDomainByName(LAB_VM_DISK);
  const times = [];
  let calls = 0;
  let checks = 0;
  let verdict = '';
  for (let i = 0; i < runs; i++) {
    const sink = {};
    const t0 = performance.now();
    const report = await dom.checkPMC(dst, { ...options, checks: [capture(sink)] });
    times.push(performance.now() - t0);
    calls = [...sink.facts.calls.values()].reduce((s, n) => s + n, 0);
    checks = report.checks.length - 1;
    verdict = report.verdict;
  }
  console.log(
    `${label}: ${checks} built-in checks, verdict ${verdict}; check phase median ${median(times).toFixed(1)} ms ` +
      `(min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}, ${runs} runs); ${calls} libvirt calls per run`,
  );
}

try {
  await scenario('live + copy-storage-all, no bandwidth (no dirty-rate measurement)', {
    live: true,
    copyStorageAll: true,
  });
  await scenario('live + copy-storage-all, bandwidth 100 MiB/s (measures the dirty rate, 1 s window)', {
    live: true,
    copyStorageAll: true,
    bandwidth: 100,
  });
} finally {
  await Promise.all([src.close(), dst.close()]);
  if (!process.env.PMC_LAB_KEEP) await labDown({ id });
}
