// Times XPath evaluation as checks use it: a typical domain XML parsed once,
// then 100,000 evaluations of one expression with a document variable.
// Run after a build: node bench/xpath.bench.mjs
import { XmlDocument, XPathExpression } from '../dist/index.js';
import { typicalDomainXml } from './typical-domain.mjs';

const domainXml = typicalDomainXml({
  type: 'kvm',
  name: 'vm1',
  uuid: '4a1b9c2e-0f8e-4a62-9d43-8c1c1b6f0a01',
  network: 'prod',
  machine: 'pc-q35-7.2',
  cpu: 'host-model',
  emulator: '/usr/bin/qemu-system-x86_64',
});

const domain = XmlDocument.parse(domainXml, { name: 'vm1.xml' });
const host = XmlDocument.parse('<host/>');
const source = 'count($domain/domain/devices/hostdev) = 0';
const variables = { domain, limit: 5 };
const N = 100_000;

function time(label, fn) {
  for (let i = 0; i < 5_000; i++) fn(); // warm-up
  const start = process.hrtime.bigint();
  let ok = 0;
  for (let i = 0; i < N; i++) if (fn()) ok++;
  const us = Number(process.hrtime.bigint() - start) / 1e3 / N;
  if (ok !== N) throw new Error(`${label}: unexpected result`);
  console.log(`${label.padEnd(44)} ${us.toFixed(2)} µs/evaluation`);
}

const compiled = XPathExpression.compile(source);
time('compiled expression, boolean()', () => host.boolean(compiled, variables));
time('string expression (compiled each call)', () => host.boolean(source, variables));
time('compiled, evaluate() with 2 variables', () => host.evaluate(compiled, { variables }) === true);
