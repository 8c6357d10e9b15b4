import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 60_000,
          // The CLI tests run dist/cli/main.js: compile it first. The plugin
          // tests need the example plugin and the test plugins (build-plugins/, gitignored);
          // the C/C++ tests their programs of test/native (build-tests/, gitignored).
          globalSetup: ['test/helpers/build-ts.ts', 'test/helpers/plugins.ts', 'test/helpers/native-tests.ts'],
          // lifetimes.test.ts drives the garbage collector (global.gc).
          execArgv: ['--expose-gc'],
        },
      },
      {
        test: {
          // Real migrations between the two hosts of the QEMU lab (needs root, see docs/lab.md).
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // The CLI tests run dist/cli/main.js: compile it first.
          globalSetup: ['test/helpers/build-ts.ts', 'test/e2e/global-setup.ts'],
          setupFiles: ['test/e2e/keep-lab-vm-home.ts'],
          // One lab, one set of guests: files take turns.
          fileParallelism: false,
          // remote-transport.test.ts drives the garbage collector (global.gc).
          execArgv: ['--expose-gc'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
