#!/usr/bin/env node
// What the rehearsal (docs/rehearsal.md) adds to a check: `checkPMC` of the
// lab's 64 MiB guest with and without `rehearse`, interleaved, and the
// rehearsal's phases. Needs root and a build (npm run build).
//   PMC_LAB_ID=rehearsal node bench/rehearsal.bench.mjs [rounds]
// Brings the lab up (idempotent) and down again unless PMC_LAB_KEEP=1.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { Connection } = await import(path.join(root, 'dist/index.js'));
const { labUp, labDown, LAB_VM } = await import(path.join(root, 'dist/lab/index.js'));

const rounds = Number(process.argv[2] ?? 7);
const id = process.env.PMC_LAB_ID ?? 'rehearsal';
const lab = await labUp({ id });
const [src, dst] = await Promise.all(lab.hosts.slice(0, 2).map((h) => Connection.open(h.uri)));
const options = { live: true, migrateUri: lab.hosts[1].migrationUri };

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(0)} ms`;

try {
  const dom = await src.lookupDomainByName(LAB_VM);
  const plain = [];
  const rehearsed = [];
  const phases = { begin: [], prepare: [], finish: [], confirm: [] };
  // One warm-up of each: the first domain-capabilities call of a host waits for QEMU's probe.
  await dom.checkPMC(dst, options);
  await dom.checkPMC(dst, { ...options, rehearse: true });
  for (let i = 0; i < rounds; i++) {
    for (const rehearse of i % 2 ? [true, false] : [false, true]) {
      const t0 = performance.now();
      const report = await dom.checkPMC(dst, { ...options, rehearse });
      const elapsed = performance.now() - t0;
      if (!rehearse) {
        plain.push(elapsed);
        continue;
      }
      const r = report.checks.find((c) => c.name === 'migration.rehearsal');
      if (r?.status !== 'pass') throw new Error(`the rehearsal did not pass: ${r?.status} ${r?.message}`);
      rehearsed.push(elapsed);
      for (const k of Object.keys(phases)) phases[k].push(r.details.phasesMs[k]);
    }
  }
  const added = median(rehearsed) - median(plain);
  console.log(
    `checkPMC of ${LAB_VM} (64 MiB), ${rounds} interleaved rounds: without rehearse median ${ms(median(plain))}, ` +
      `with rehearse ${ms(median(rehearsed))}: the rehearsal adds ${ms(added)} ` +
      `(ratio ${(median(rehearsed) / median(plain)).toFixed(2)})`,
  );
  console.log(
    `rehearsal phases, medians: ${Object.entries(phases)
      .map(([k, v]) => `${k} ${ms(median(v))}`)
      .join(', ')}`,
  );
} finally {
  await Promise.all([src.close(), dst.close()]);
  if (!process.env.PMC_LAB_KEEP) await labDown({ id });
}
