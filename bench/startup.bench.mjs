// Start-up of the pmc command against bare Node: `node -e 0`, `pmc --version`
// and `pmc checks --json`, interleaved round by round (so that the load of a
// shared machine falls on all three alike). Prints the medians of wall time and
// of the CPU time (user + system) each run used, as ratios to `node -e 0`: on a
// busy machine the wall time swings with the other load, the CPU time much less.
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

/** bash's `times`: its second line is the CPU time of the shell's children, `0m0.055s 0m0.004s`. */
const seconds = (t) => {
  const [, m, s] = /^(\d+)m([\d.]+)s$/.exec(t);
  return Number(m) * 60 + Number(s);
};

/** One run under bash (which reports the child's CPU time): wall and CPU milliseconds. */
function run(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(
    'bash',
    ['-c', '"$0" "$@" >/dev/null; status=$?; times; exit $status', process.execPath, ...args],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')}: exit ${r.status}`);
  const [user, system] = r.stdout.trim().split('\n')[1].split(' ').map(seconds);
  return { wall, cpu: (user + system) * 1000 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const runs = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
for (const args of Object.values(commands)) run(args); // warm the file cache
for (let i = 0; i < rounds; i++) for (const [name, args] of Object.entries(commands)) runs[name].push(run(args));

const base = runs['node -e 0'];
const [baseWall, baseCpu] = [median(base.map((r) => r.wall)), median(base.map((r) => r.cpu))];
console.log(`${rounds} interleaved rounds, medians (ratio to node -e 0):`);
console.log(`${''.padEnd(20)} ${'wall'.padStart(16)} ${'CPU'.padStart(16)}`);
for (const [name, rs] of Object.entries(runs)) {
  const [wall, cpu] = [median(rs.map((r) => r.wall)), median(rs.map((r) => r.cpu))];
  const cell = (ms, ratio) => `${ms.toFixed(1)} ms ${ratio.toFixed(2)}x`.padStart(16);
  console.log(`${name.padEnd(20)} ${cell(wall, wall / baseWall)} ${cell(cpu, cpu / baseCpu)}`);
}
