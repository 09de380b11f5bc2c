import { defineConfig } from 'vitest/config';
import { unitProject } from './vitest.config.js';

// The tests `npm run mutate` runs against each mutant: the unit project (no engine, no registries),
// as its own config because Stryker's vitest runner runs every project of a config.
//
// Left out of it, because a mutation run repeats them hundreds of times on a loaded machine:
// - tests that drive the whole CLI, real git or the Dockerfiles' shell (seconds per file, and
//   every mutant they cover would reload them); the pure core must be caught by its own tests;
// - the HTTP adapters' tests against local servers: seconds each, and the registry client's failure
//   tests time real requests against 0.3 s deadlines, which fails under that load (and Stryker
//   stops when its first, unmutated run fails).
// None of these test code in the mutated set that its own unit tests do not.
export const leftOut = [
  'test/pipeline/cli/**',
  'test/pipeline/report/report-cli.test.ts',
  'test/pipeline/adapters/git-remote.test.ts',
  'test/pipeline/adapters/registry-http*.test.ts',
  'test/pipeline/adapters/docker-hub-tags.test.ts',
  'test/dockerfiles/runtime-packages.test.ts',
  'test/dockerfiles/mesos-centos.test.ts',
  'test/dockerfiles/mesos-mini.test.ts',
  'test/workflows/**',
  'test/helpers/**',
];

const unitTest = unitProject.test ?? {};
export default defineConfig({
  test: {
    projects: [{ ...unitProject, test: { ...unitTest, exclude: [...(unitTest.exclude ?? []), ...leftOut] } }],
  },
});
