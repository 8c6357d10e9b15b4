// Opens a libvirt connection and prints what the binding sees of the host:
// node, libvirt version, domains, networks, storage pools.
//   node examples/show-hosts.mjs                      # libvirt's test driver
//   node examples/show-hosts.mjs qemu:///system       # any URI you can open
// Works from a checkout (after the build) and from an installed package
// (node node_modules/libvirt-pmc/examples/show-hosts.mjs).
import { Connection, formatVersion } from 'libvirt-pmc';

const uri = process.argv[2] ?? 'test:///default';
const conn = await Connection.open(uri, { readonly: true });
try {
  const [hostname, node, libvirt, domains, networks, pools] = await Promise.all([
    conn.getHostname(),
    conn.getNodeInfo(),
    conn.getLibVersion(),
    conn.listAllDomains(),
    conn.listAllNetworks(),
    conn.listAllStoragePools(),
  ]);
  console.log(
    `${hostname} (${uri}): ${node.cpus} CPUs, ${Math.round(node.memoryKiB / 1024)} MiB, libvirt ${formatVersion(libvirt)}`,
  );
  console.log(`  domains:  ${domains.map((d) => d.name).join(', ') || 'none'}`);
  console.log(`  networks: ${networks.map((n) => `${n.name} (${n.bridge ?? 'no bridge'})`).join(', ') || 'none'}`);
  console.log(
    `  pools:    ${pools.map((p) => `${p.name} ${(p.available / 1024 ** 3).toFixed(0)} GiB free`).join(', ') || 'none'}`,
  );
} finally {
  await conn.close();
}
