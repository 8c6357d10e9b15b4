// Times XPath evaluation as checks use it: a typical domain XML parsed once,
// then 100,000 evaluations of one expression with a document variable.
// Run after a build: node bench/xpath.bench.mjs
import { XmlDocument, XPathExpression } from '../dist/index.js';

const disks = Array.from(
  { length: 4 },
  (_, i) => `<disk type="file" device="disk"><driver name="qemu" type="qcow2"/>
      <source file="/var/lib/libvirt/images/vm1-${i}.qcow2"/><target dev="vd${'abcd'[i]}" bus="virtio"/></disk>`,
).join('\n    ');
const domainXml = `<domain type="kvm">
  <name>vm1</name><uuid>4a1b9c2e-0f8e-4a62-9d43-8c1c1b6f0a01</uuid>
  <memory unit="KiB">8388608</memory><currentMemory unit="KiB">8388608</currentMemory>
  <vcpu placement="static">4</vcpu>
  <os><type arch="x86_64" machine="pc-q35-7.2">hvm</type><boot dev="hd"/></os>
  <features><acpi/><apic/></features>
  <cpu mode="host-model" check="partial"/>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    ${disks}
    <interface type="network"><mac address="52:54:00:aa:bb:cc"/><source network="prod"/><model type="virtio"/></interface>
    <serial type="pty"><target port="0"/></serial>
    <graphics type="vnc" port="-1" autoport="yes"/>
    <video><model type="virtio" heads="1"/></video>
    <memballoon model="virtio"/>
  </devices>
</domain>`;

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
