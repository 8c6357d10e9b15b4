// Start-up of the pmc command against bare Node: `node -e 0`, `pmc --version`
// and `pmc checks --json`; and, as root, the whole `pmc check` process of the
// lab's guest against its peer, bench/peer-check.py (libvirt-python asking the
// same libvirt questions one after another), on a two-host lab at RTT 0 (its
// own, PMC_LAB_ID default `startup-bench`, brought up and down unless it was
// up already). All interleaved round by round (so that the load of a shared
// machine falls on all alike). Prints the medians of wall time and of the CPU
// time (user + system) each run used, as ratios to `node -e 0` and to the
// peer: on a busy machine the wall time swings with the
// other load, the CPU time much less.
// Run after a build: node bench/startup.bench.mjs [rounds] [--baseline OTHER/dist/cli/main.js]
//   (default 30 rounds; --baseline adds that build's `pmc check`, e.g. an unbundled one, to the same rounds)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const baselineAt = args.indexOf('--baseline');
const baseline = baselineAt >= 0 ? args.splice(baselineAt, 2)[1] : null;
const rounds = Number(args[0] ?? 30);
const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const peer = fileURLToPath(new URL('./peer-check.py', import.meta.url));
// Debian's python3, which python3-libvirt installs into (not a pyenv shim on PATH).
const PYTHON = '/usr/bin/python3';
const node = (...a) => [process.execPath, ...a];
const commands = {
  'node -e 0': node('-e', '0'),
  'pmc --version': node(main, '--version'),
  'pmc checks --json': node(main, 'checks', '--json'),
};

/** bash's `times`: its second line is the CPU time of the shell's children, `0m0.055s 0m0.004s`. */
const seconds = (t) => {
  const [, m, s] = /^(\d+)m([\d.]+)s$/.exec(t);
  return Number(m) * 60 + Number(s);
};

/** One run under bash (which reports the child's CPU time): wall and CPU milliseconds. */
function run(argv) {
  const start = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', '"$0" "$@" >/dev/null; status=$?; times; exit $status', ...argv], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  // pmc check exits 1 on a blocked verdict, 0 on allowed (with warnings): the lab's guest is allowed.
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}`);
  const [user, system] = r.stdout.trim().split('\n')[1].split(' ').map(seconds);
  return { wall, cpu: (user + system) * 1000 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// The check runs need the lab (root) and python3-libvirt.
let lab = null;
let labWasUp = true;
const withLab = process.getuid?.() === 0 && existsSync(PYTHON);
if (withLab) {
  const { labStatus, labUp, LAB_VM } = await import('../dist/lab/index.js');
  const id = process.env.PMC_LAB_ID ?? 'startup-bench';
  labWasUp = (await labStatus({ id })) !== null;
  lab = await labUp({ id, hosts: 2, rtt: 0 });
  const [src, dst] = lab.hosts.map((h) => h.uri);
  commands['peer-check.py'] = [PYTHON, peer, src, LAB_VM, dst];
  commands['pmc check'] = node(main, '-c', src, 'check', LAB_VM, dst);
  if (baseline) commands['pmc check (baseline)'] = node(baseline, '-c', src, 'check', LAB_VM, dst);
} else {
  console.error('not root, or no /usr/bin/python3: the pmc check and peer rows need the lab and python3-libvirt');
}

const runs = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
try {
  for (const argv of Object.values(commands)) run(argv); // warm the file cache
  for (let i = 0; i < rounds; i++) for (const [name, argv] of Object.entries(commands)) runs[name].push(run(argv));
} finally {
  if (lab && !labWasUp) await (await import('../dist/lab/index.js')).labDown({ id: lab.id });
}

const medians = (name) => [median(runs[name].map((r) => r.wall)), median(runs[name].map((r) => r.cpu))];
const [baseWall, baseCpu] = medians('node -e 0');
const [peerWall, peerCpu] = runs['peer-check.py'] ? medians('peer-check.py') : [null, null];
const cell = (ms, ratio) => `${ms.toFixed(1)} ms ${ratio.toFixed(2)}x`.padStart(16);
console.log(`${rounds} interleaved rounds, medians (ratios to node -e 0, and to the peer):`);
console.log(
  `${''.padEnd(22)} ${'wall'.padStart(16)} ${'CPU'.padStart(16)}${peerWall ? `${'wall / peer'.padStart(13)}${'CPU / peer'.padStart(12)}` : ''}`,
);
for (const name of Object.keys(runs)) {
  const [wall, cpu] = medians(name);
  // Every row against the peer too: `node -e 0`'s is the floor any Node process stands on.
  const toPeer = peerWall
    ? `${(wall / peerWall).toFixed(2).padStart(12)}x${(cpu / peerCpu).toFixed(2).padStart(11)}x`
    : '';
  console.log(`${name.padEnd(22)} ${cell(wall, wall / baseWall)} ${cell(cpu, cpu / baseCpu)}${toPeer}`);
}
process.exit(0);
