// Loads one addon build (PMC_ADDON=path, or the default) and uses it once:
// CI runs it against node-gyp's and cmake-js's outputs.
import { Connection } from '../dist/index.js';

const conn = await Connection.open('test:///default');
const [hostname, type, domains] = await Promise.all([conn.getHostname(), conn.getType(), conn.listAllDomains()]);
await conn.close();
if (type !== 'TEST' || domains.length === 0) {
  console.error(`smoke: unexpected answer from test:///default (type ${type}, ${domains.length} domains)`);
  process.exit(1);
}
console.log(`smoke: ${process.env.PMC_ADDON ?? 'default addon'} ok (host ${hostname}, ${domains.length} domain)`);
