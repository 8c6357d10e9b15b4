// Costs of native checks (docs/check-files.md, docs/plugins.md):
//  1. one XML assert over a typical domain XML, the document parsed once per run:
//     the marginal cost per assert of a check with 201 asserts against one with 1,
//     each timed by the runner (median of many runs);
//  2. a plugin check's overhead: the runner's time for a no-op plugin check
//     (BLOCKING: handed to a worker thread) against calling the same function directly.
// Run after a build: npm run build:ts && node bench/external-checks.bench.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection, loadCheckFile, loadPlugin } from '../dist/index.js';
import { typicalDomainXml } from './typical-domain.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 200;

// The typical domain, as a test-driver guest.
const domainXml = typicalDomainXml({
  type: 'test',
  name: 'bench-vm',
  uuid: '4a1b9c2e-0f8e-4a62-9d43-8c1c1b6f0aff',
  network: 'default',
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pmc-bench-'));

function checkFile(asserts) {
  const file = path.join(tmp, `asserts-${asserts}.xml`);
  const tests = Array.from(
    { length: asserts },
    () =>
      '<assert test="count($domain/domain/devices/hostdev) = 0">{count($domain/domain/devices/hostdev)} passthrough</assert>',
  );
  writeFileSync(file, `<checks><check name="bench.asserts" severity="critical">${tests.join('')}</check></checks>`);
  return loadCheckFile(file);
}

const conn = await Connection.open('test:///default');
const dom = await conn.defineDomain(domainXml);
await dom.create();

async function checkDurations(options) {
  const durations = [];
  for (let i = 0; i < RUNS + 20; i++) {
    const report = await dom.checkPMC(conn, { noBuiltins: true, ...options });
    if (report.checks[0].status !== 'pass') throw new Error(JSON.stringify(report.checks[0]));
    if (i >= 20) durations.push(report.checks[0].durationMs); // after warm-up
  }
  return durations;
}

// 1. XML asserts.
const K = 201;
const one = median(await checkDurations({ checkFiles: [await checkFile(1)] }));
const many = median(await checkDurations({ checkFiles: [await checkFile(K)] }));
const perAssertUs = ((many - one) * 1000) / (K - 1);
console.log(`XML check, 1 assert (includes parsing the domain XML once):  ${(one * 1000).toFixed(1)} µs`);
console.log(`XML check, ${K} asserts:                                     ${(many * 1000).toFixed(1)} µs`);
console.log(
  `one XML assert (marginal, document already parsed):         ${perAssertUs.toFixed(2)} µs  (target ≤ 20 µs)`,
);

// 2. Plugin check against a direct call.
const out = path.join(root, 'build-plugins', 'bench');
mkdirSync(out, { recursive: true });
const libvirt = (flag) =>
  execFileSync('pkg-config', [flag, 'libvirt'], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
/** Compiles C against pmc's and libvirt's headers, at -O2 like a release build. */
const cc = (args) => execFileSync('cc', ['-O2', '-std=c11', `-I${root}/native/pmc`, ...libvirt('--cflags'), ...args]);
const plugin = path.join(out, 'behaviours.so');
cc(['-shared', '-fPIC', '-o', plugin, path.join(root, 'test/fixtures/plugins/behaviours.c'), ...libvirt('--libs')]);
const direct = path.join(out, 'plugin-direct');
cc(['-o', direct, path.join(root, 'bench/plugin-direct.c'), '-ldl']);
const directNs = Number(execFileSync(direct, [plugin, '10000000'], { encoding: 'utf8' }));

const fixture = await loadPlugin(plugin);
const skip = fixture.checks.map((c) => c.name).filter((n) => n !== 'fixture.noop');
// The run's report keeps skipped checks first-to-last in list order; find the noop.
const durations = [];
for (let i = 0; i < RUNS + 20; i++) {
  const report = await dom.checkPMC(conn, { noBuiltins: true, plugins: [fixture], skip });
  const noop = report.checks.find((c) => c.name === 'fixture.noop');
  if (i >= 20) durations.push(noop.durationMs);
}
const pluginUs = median(durations) * 1000;
console.log(`plugin no-op check, called directly:                         ${directNs.toFixed(1)} ns`);
console.log(
  `plugin no-op check through the runner (worker thread):       ${pluginUs.toFixed(1)} µs  (overhead ${(pluginUs - directNs / 1000).toFixed(1)} µs)`,
);

await dom.destroy();
await dom.undefine();
await conn.close();
rmSync(tmp, { recursive: true, force: true });
