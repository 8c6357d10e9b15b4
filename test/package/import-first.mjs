// import() first, then require(): still one module instance; the ESM faces of
// the subpath exports.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { LibvirtError, Connection } from 'libvirt-pmc';
import { include_dir as includeDir } from 'libvirt-pmc/include';

const require = createRequire(import.meta.url);
assert.equal(require('libvirt-pmc').LibvirtError, LibvirtError);
assert.equal(require('libvirt-pmc').Connection, Connection);
assert.ok(existsSync(path.join(includeDir, 'libvirt-pmc', 'pmc-plugin.h')));
assert.ok(existsSync(new URL(import.meta.resolve('libvirt-pmc/report.schema.json'))));
console.log('package: import() then require(): one module');
