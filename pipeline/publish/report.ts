import { z } from 'zod';
import { testOutcomeSchema } from '../smoke/outcome.js';

// The run report `publish --report FILE` writes and `report` reads. These schemas are the one
// definition of its shape: the types below are inferred from them, `report` validates with them,
// and pipeline/schemas/run-report.schema.json is generated from them (npm run schemas).

export const REPORT_VERSION = 1;

export const imageStatusSchema = z.enum(['planned', 'built', 'tested', 'pushed', 'unchanged', 'failed', 'skipped']);
export const branchStatusSchema = z.enum(['planned', 'tested', 'published', 'unchanged', 'failed', 'interrupted']);
export type ImageStatus = z.infer<typeof imageStatusSchema>;
export type BranchStatus = z.infer<typeof branchStatusSchema>;

/** The failure step of a branch the run's time limit cut off (its status is `interrupted`). */
export const TIME_LIMIT_STEP = 'time-limit';

export const failureSchema = z.object({
  step: z
    .string()
    .describe(
      'The stage that failed: resolve, engine, build, smoke, push, retag, verify, rollback, registry; ' +
        '`interrupted` (a signal) or `time-limit` (cut off by --time-limit) for an interrupted branch.',
    ),
  image: z.string().optional(),
  message: z.string(),
  tests: z.array(z.string()).optional().describe('The failing smoke tests, by name.'),
  logTail: z.array(z.string()).optional().describe("The last lines of build output or of the failing container's log."),
});
export type Failure = z.infer<typeof failureSchema>;

export const imageReportSchema = z.object({
  name: z.string(),
  status: imageStatusSchema,
  imageId: z.string().optional(),
  digest: z.string().optional(),
  tags: z.array(z.string()).describe('References that point at `digest` after the run.'),
  reusedDigest: z.string().optional().describe('For `unchanged`: the digest reused from the registry.'),
  reason: z.string().optional().describe('Why the image was rebuilt or reused.'),
  durations: z.object({
    buildMs: z.number().optional(),
    smokeMs: z.number().optional(),
    pushMs: z.number().optional(),
  }),
  smoke: z.array(testOutcomeSchema).optional(),
  platforms: z
    .array(
      z.object({
        platform: z.string(),
        imageId: z.string().optional(),
        digest: z.string().optional().describe('The platform manifest the image index names.'),
        passed: z.boolean().optional().describe('Whether its smoke tests passed; absent when they did not run.'),
      }),
    )
    .optional()
    .describe('Of a multi-platform image: each platform, in the order of images.json; `digest` is then the index.'),
});
export type ImageReport = z.infer<typeof imageReportSchema>;

export const branchReportSchema = z.object({
  branch: z.string(),
  sha: z.string(),
  version: z.string(),
  status: branchStatusSchema,
  durationMs: z.number(),
  images: z.array(imageReportSchema),
  failure: failureSchema.optional(),
  rollback: z
    .array(z.string())
    .optional()
    .describe('What was done to undo a half-finished push, when it came to that.'),
});
export type BranchReport = z.infer<typeof branchReportSchema>;

export const runReportSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(REPORT_VERSION),
    command: z.literal('publish'),
    runId: z.string().describe('Also the value of the io.mesos-pipeline.run label on every container the run started.'),
    date: z.string(),
    registry: z.string(),
    repo: z.string(),
    startedAt: z.string(),
    finishedAt: z.string(),
    durationMs: z.number(),
    status: z.enum(['success', 'failed', 'interrupted']),
    options: z.object({
      push: z.boolean(),
      force: z.boolean(),
      keep: z.boolean(),
      compileCache: z
        .boolean()
        .optional()
        .describe('False with --no-compile-cache: builds neither read nor wrote the compile cache.'),
      rebuildAfterMs: z
        .number()
        .optional()
        .describe('--rebuild-after in milliseconds: an unchanged image older than this was rebuilt.'),
    }),
    stage: z
      .object({ platform: z.string(), id: z.string() })
      .optional()
      .describe(
        'A stage run (publish --stage): only this platform was built; a pushed image is under its staging tag ' +
          '(`tags`), `digest` is the platform manifest, and no tag users pull moved. publish --assemble reads it.',
      ),
    branches: z.array(branchReportSchema),
  })
  .describe('The run report of mesos-pipeline publish --report.');
export type RunReport = z.infer<typeof runReportSchema>;
