// Opens the two crafted test-driver hosts and prints what the binding sees.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection, formatVersion } from '../dist/index.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures');

for (const host of ['host-a', 'host-b']) {
  const conn = await Connection.open(`test://${path.join(fixtures, `${host}.xml`)}`);
  const [node, libvirt, domains, networks, pools] = await Promise.all([
    conn.getNodeInfo(),
    conn.getLibVersion(),
    conn.listAllDomains(),
    conn.listAllNetworks(),
    conn.listAllStoragePools(),
  ]);
  console.log(`${host}: ${node.cpus} CPUs, ${Math.round(node.memoryKiB / 1024)} MiB, libvirt ${formatVersion(libvirt)}`);
  console.log(`  domains:  ${domains.map((d) => d.name).join(', ')}`);
  console.log(`  networks: ${networks.map((n) => `${n.name} (${n.bridge ?? 'no bridge'})`).join(', ')}`);
  console.log(`  pools:    ${pools.map((p) => `${p.name} ${(p.available / 1024 ** 3).toFixed(0)} GiB free`).join(', ')}`);
  await conn.close();
}
