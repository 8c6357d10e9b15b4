// Bundles the pmc command into one file: dist/cli/main.js (tsc's output, the
// entry) becomes that entry with every module it imports, commander included,
// so that starting `pmc` reads and compiles one file instead of resolving and
// loading some eighty (bench/startup.bench.mjs). Subcommands stay lazy: esbuild
// turns each `await import('./commands/x.js')` into a function that runs that
// module's code when called, so `pmc check` runs none of `lab` or `demo`. The
// addon is still found at run time by dist/binding/native.js's node-gyp-build,
// from the package root two levels up, as from dist/cli/ (and the lab's guest
// sources likewise). The library (dist/index.js, dist/index.cjs) is not bundled.
//
//   node scripts/bundle-cli.mjs        (after tsc -p tsconfig.build.json; npm run build:ts does both)
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

await build({
  // Paths in the bundle (each module's wrapper is named by one: test/unit/cli-startup.test.ts) are
  // relative to the package root, wherever this runs from.
  absWorkingDir: root,
  entryPoints: [main],
  outfile: main,
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
