// Bundles the package's two processes, each into one file, so that starting it
// reads and compiles one file instead of resolving and loading dozens:
// - the pmc command: dist/cli/main.js (tsc's output, the entry) becomes that
//   entry with every module it imports, commander included (some eighty;
//   bench/startup.bench.mjs). Subcommands stay lazy: esbuild turns each
//   `await import('./commands/x.js')` into a function that runs that module's
//   code when called, so `pmc check` runs none of `lab` or `demo`;
// - the destination gate: dist/gate/hook-main.js becomes dist/gate/hook-main.cjs,
//   the process libvirt's hook runs on every incoming migration (docs/hook.md,
//   bench/hook.bench.mjs).
// The addon is still found at run time by dist/binding/native.js's
// node-gyp-build, from the package root two levels up, as from dist/cli/ and
// dist/gate/ (and the lab's guest sources likewise). The library
// (dist/index.js, dist/index.cjs) is not bundled.
//
//   node scripts/bundle.mjs        (after tsc -p tsconfig.build.json; npm run build:ts does both)

import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = (p) => fileURLToPath(new URL(p, import.meta.url));

// What both bundles share.
const common = {
  // Paths in the bundle (each module's wrapper is named by one: test/unit/cli-startup.test.ts) are
  // relative to the package root, wherever this runs from.
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20.19',
  // Resolved at run time from the package, as the unbundled modules do.
  external: ['node-gyp-build'],
  logLevel: 'warning',
};

// The command, in place of tsc's entry (package.json's bin).
await build({
  ...common,
  entryPoints: [entry('../dist/cli/main.js')],
  outfile: entry('../dist/cli/main.js'),
  allowOverwrite: true,
  format: 'esm',
  // The CommonJS packages bundled (commander) require Node's own modules: an ES module has no
  // `require`, so the bundle makes one.
  banner: {
    js: "import { createRequire as pmcCreateRequire } from 'node:module';\nconst require = pmcCreateRequire(import.meta.url);",
  },
});

// The gate, beside tsc's entry (which stays, unbundled, for gates installed before):
// CommonJS, since Node starts a CommonJS file about 8 ms sooner than an ES module (no
// module loader to set up), on every incoming migration. `import.meta.url` (the addon's
// and the package's place) becomes the file's own URL.
await build({
  ...common,
  entryPoints: [entry('../dist/gate/hook-main.js')],
  outfile: entry('../dist/gate/hook-main.cjs'),
  format: 'cjs',
  define: { 'import.meta.url': 'pmcImportMetaUrl' },
  banner: { js: "const pmcImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});
