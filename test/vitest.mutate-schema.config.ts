import { defineConfig } from 'vitest/config';
import { unitProject } from './vitest.config.js';

// The tests `npm run mutate` runs against the mutants of pipeline/smoke/spec-schema.ts
// (stryker.schema.json): the smoke spec's own tests, the committed JSON Schemas' tests and the
// shipped smoke specs. Most of the schema's mutants are static (it is built when its module
// loads), and Stryker runs a static mutant against every test of its config: against the whole
// unit set that is over 1.5 h for this one file. These are the tests that read the schema.
const unitTest = unitProject.test ?? {};
export default defineConfig({
  test: {
    projects: [
      {
        ...unitProject,
        test: {
          ...unitTest,
          include: [
            'test/pipeline/smoke/**/*.test.ts',
            'test/pipeline/schemas/**/*.test.ts',
            'test/dockerfiles/smoke-specs.test.ts',
          ],
        },
      },
    ],
  },
});
