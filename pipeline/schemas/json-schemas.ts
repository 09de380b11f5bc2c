import { z } from 'zod';
import { familySchema } from '../family/family-schema.js';
import { planSchema } from '../plan/plan-schema.js';
import { runReportSchema } from '../publish/report.js';
import { smokeSpecSchema } from '../smoke/spec-schema.js';

// JSON Schemas for editors (completion, hover text, checks as you type) of the files users write
// or read: smoke specs, images.json, plans and run reports. Generated from the zod schemas the
// pipeline validates with, so they cannot drift: `npm run schemas` writes them to this folder,
// and a unit test fails when the committed files differ from what this produces.

/** The folder of the generated files, relative to the repository root. */
export const SCHEMAS_DIR = 'pipeline/schemas';

const SOURCES: Record<string, { schema: z.ZodType; title: string; description: string }> = {
  'smoke-spec.schema.json': {
    schema: smokeSpecSchema,
    title: 'mesos-pipeline smoke spec',
    description:
      'smoke.json, smoke.yaml or smoke.yml beside a Dockerfile: a container-structure-test config ' +
      '(schemaVersion 2.0.0 or 1.0.0) plus serviceTests. Strings may use ${GIT_REPO}, ${GIT_SHA}, ' +
      '${GIT_SHORT_SHA}, ${GIT_BRANCH}, ${VERSION}, ${VERSION_PATTERN}, ${IMAGE_NAME}.',
  },
  'images.schema.json': {
    schema: familySchema,
    title: 'mesos-pipeline image family (images.json)',
    description: 'The images one run builds, each with its build context and the image it is built FROM.',
  },
  'plan.schema.json': {
    schema: planSchema,
    title: 'mesos-pipeline plan',
    description: 'What `plan --json` prints and `publish --plan FILE` applies.',
  },
  'run-report.schema.json': {
    schema: runReportSchema,
    title: 'mesos-pipeline run report',
    description: 'What `publish --report FILE` writes and `report` reads.',
  },
};

/** Every generated file: its name in SCHEMAS_DIR and its text. */
export function jsonSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, { schema, title, description }] of Object.entries(SOURCES)) {
    // The input side: what a file may hold, before defaults and transforms.
    const generated = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
    const { $schema, description: _described, ...rest } = generated;
    const document = { $schema, title, description, ...rest };
    files.set(name, `${JSON.stringify(document, null, 2)}\n`);
  }
  return files;
}
