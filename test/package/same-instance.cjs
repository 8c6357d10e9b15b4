// Run by scripts/test-package.sh inside a fresh project that installed the
// packed tarball: require() first, then import(); one module instance, the
// prebuilt addon, the exported schema files and include directory.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const cjs = require('libvirt-pmc');

/** The .node files mapped into this process: what was really loaded. */
function loadedAddons() {
  const files = fs
    .readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((line) => line.split(/\s+/)[5] ?? '');
  return [...new Set(files.filter((f) => f.endsWith('.node')))];
}

(async () => {
  const esm = await import('libvirt-pmc');
  for (const name of ['LibvirtError', 'PmcError', 'Connection', 'Domain', 'XmlDocument', 'constants', 'listChecks']) {
    assert.ok(cjs[name] !== undefined, `require() lacks ${name}`);
    assert.equal(cjs[name], esm[name], `require() and import() give two ${name}s`);
  }

  const conn = await esm.Connection.open('test:///default');
  const error = await conn.lookupDomainByName('no-such-domain').catch((e) => e);
  await conn.close();
  assert.ok(error instanceof cjs.LibvirtError, 'a rejection from the ESM side is not the CJS LibvirtError');
  assert.equal(error.code, 'VIR_ERR_NO_DOMAIN');

  const pkg = path.dirname(require.resolve('libvirt-pmc/package.json'));
  const addons = loadedAddons();
  assert.deepEqual(
    addons,
    [path.join(pkg, 'prebuilds', `linux-${process.arch}`, 'libvirt-pmc.glibc.node')],
    `loaded: ${addons.join(', ')}`,
  );
  assert.ok(!fs.existsSync(path.join(pkg, 'build')), 'the install compiled (build/ exists)');

  const { include_dir: includeDir } = require('libvirt-pmc/include');
  for (const header of ['libvirt-pmc/pmc.h', 'libvirt-pmc/pmc-plugin.h'])
    assert.ok(fs.existsSync(path.join(includeDir, header)), `${header} not in ${includeDir}`);
  const schema = JSON.parse(fs.readFileSync(require.resolve('libvirt-pmc/report.schema.json'), 'utf8'));
  assert.equal(typeof schema.properties, 'object');
  assert.match(fs.readFileSync(require.resolve('libvirt-pmc/checks.rng'), 'utf8'), /relaxng/);
  console.log(`package: require() and import() share one module; addon ${path.relative(pkg, addons[0])}`);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
