import path from 'node:path';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

const root = path.resolve(import.meta.dirname, '..');

/** Needs nothing but Node and git; also the only project `npm run mutate` runs (test/vitest.mutate.config.ts). */
export const unitProject: TestProjectInlineConfiguration = {
  test: {
    name: 'unit',
    root,
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.itg.test.ts', 'node_modules/**'],
    restoreMocks: true,
    unstubEnvs: true,
    // Unit tests first: they need nothing and fail fast.
    sequence: { groupOrder: 0 },
  },
};

// Two projects, one command and one summary: `unit` needs nothing but Node and git;
// `itg` runs against the real engine and registries that scripts/engine-up.sh starts.
export default defineConfig({
  test: {
    projects: [
      unitProject,
      {
        test: {
          name: 'itg',
          root,
          include: ['test/**/*.itg.test.ts'],
          globalSetup: ['test/helpers/itg-global-setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          // Two workers on a two-core machine: Docker-bound tests mostly wait on the engine.
          maxWorkers: 2,
          // Scenarios marked concurrent (faults, rollback, interrupts, bad input) run two at a time in a file:
          // they wait on backoffs, timeouts and process start-up; more would only share the cores.
          maxConcurrency: 2,
          unstubEnvs: true,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
