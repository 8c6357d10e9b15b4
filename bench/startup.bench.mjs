// Start-up of the pmc command against bare Node: `node -e 0`, `pmc --version`
// and `pmc checks --json`, interleaved round by round (so that the load of a
// shared machine falls on all three alike), median wall times, printed as
// ratios to `node -e 0`.
// Run after a build: node bench/startup.bench.mjs [rounds]   (default 30)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const rounds = Number(process.argv[2] ?? 30);
const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const commands = {
  'node -e 0': ['-e', '0'],
  'pmc --version': [main, '--version'],
  'pmc checks --json': [main, 'checks', '--json'],
};

/** One run: its wall time in milliseconds, from spawn to exit. */
function run(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')}: exit ${r.status}`);
  return wall;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const walls = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
for (const args of Object.values(commands)) run(args); // warm the file cache
for (let i = 0; i < rounds; i++) for (const [name, args] of Object.entries(commands)) walls[name].push(run(args));

const base = median(walls['node -e 0']);
console.log(`${rounds} interleaved rounds, median wall time (ratio to node -e 0):`);
for (const [name, xs] of Object.entries(walls)) {
  const m = median(xs);
  console.log(`${name.padEnd(20)} ${m.toFixed(1).padStart(7)} ms  ${(m / base).toFixed(2)}x`);
}
