// Bundles the package's two processes, each into one file, so that starting it
// reads and compiles one file instead of resolving and loading dozens:
// - the pmc command: dist/cli/main.js (tsc's output, the entry) becomes that
//   entry with every module it imports, commander included (some eighty;
//   bench/startup.bench.mjs). Subcommands stay lazy: esbuild turns each
//   `await import('./commands/x.js')` into a function that runs that module's
//   code when called, so `pmc check` runs none of `lab` or `demo`;
// - the destination gate: dist/gate/hook-main.js, the process libvirt's hook
//   runs on every incoming migration (docs/hook.md, bench/hook.bench.mjs).
// The addon is still found at run time by dist/binding/native.js's
// node-gyp-build, from the package root two levels up, as from dist/cli/ and
// dist/gate/ (and the lab's guest sources likewise). The library
// (dist/index.js, dist/index.cjs) is not bundled.
//
//   node scripts/bundle.mjs        (after tsc -p tsconfig.build.json; npm run build:ts does both)

import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entries = ['../dist/cli/main.js', '../dist/gate/hook-main.js'].map((p) =>
  fileURLToPath(new URL(p, import.meta.url)),
);

for (const entry of entries) {
  await build({
    // Paths in the bundle (each module's wrapper is named by one: test/unit/cli-startup.test.ts) are
    // relative to the package root, wherever this runs from.
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: entry,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    // The CommonJS packages bundled (commander) require Node's own modules: an ES module has no
    // `require`, so the bundle makes one.
    banner: {
      js: "import { createRequire as pmcCreateRequire } from 'node:module';\nconst require = pmcCreateRequire(import.meta.url);",
    },
    // Resolved at run time from the package, as the unbundled modules do.
    external: ['node-gyp-build'],
    logLevel: 'warning',
  });
}
