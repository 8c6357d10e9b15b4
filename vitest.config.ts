import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Builds the example plugin and the test plugins (build-plugins/, gitignored).
          globalSetup: ['test/helpers/plugins.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
