// The addon's cost per short call, without a wire: bursts of 30 calls at once
// (getHostname and getXMLDesc, half each) on test:///default, whose answers
// take microseconds, so what is measured is the hand-off to the call pool's
// threads and back to the JS thread. CPU time (user + system, the whole
// process) and wall time per burst, after a warm-up; medians of interleaved
// rounds, one child process per addon and round. Compare addons (another
// build, say main's) by giving their paths; no path: this build's.
//
//   node bench/call-pool.bench.mjs [rounds] [addon.node …]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BURST = 30;
const BURSTS = 500;
const WARM_UP = 50;

if (process.argv[2] === '--child') {
  const { Connection } = await import('../dist/index.js');
  const conn = await Connection.open('test:///default');
  const [dom] = await conn.listAllDomains();
  const burst = () =>
    Promise.all(Array.from({ length: BURST }, (_, i) => (i % 2 ? conn.getHostname() : dom.getXMLDesc(0))));
  for (let i = 0; i < WARM_UP; i++) await burst(); // the pool's threads started and warm
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < BURSTS; i++) await burst();
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  await conn.close();
  console.log(JSON.stringify({ cpu: (cpu.user + cpu.system) / 1000 / BURSTS, wall: wall / BURSTS }));
  process.exit(0);
}

const rounds = Number(process.argv[2] ?? 5);
const addons = process.argv.length > 3 ? process.argv.slice(3) : [null];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = addons.map(() => []);
for (let r = 0; r < rounds; r++) {
  addons.forEach((addon, i) => {
    const env = { ...process.env };
    if (addon) env.PMC_ADDON = addon;
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child'], { env, encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`the child for ${addon ?? 'this build'} failed: ${child.stderr}`);
    results[i].push(JSON.parse(child.stdout.trim().split('\n').at(-1)));
  });
}
console.log(`\n${rounds} interleaved rounds, medians; a burst is ${BURST} calls at once on test:///default\n`);
console.log('| addon | CPU per burst | wall per burst |');
console.log('|---|---|---|');
addons.forEach((addon, i) => {
  const cpu = median(results[i].map((x) => x.cpu));
  const wall = median(results[i].map((x) => x.wall));
  console.log(`| ${addon ?? 'this build'} | ${cpu.toFixed(2)} ms | ${wall.toFixed(2)} ms |`);
});
