import { z } from 'zod';
import { platformSchema } from '../family/family-schema.js';
import { planProblems } from './plan-check.js';
import { PLAN_VERSION } from './plan.js';

// A plan file as `plan --json` writes it; `publish --plan FILE` applies it (changesets'
// publish-plan idea): the plan job of the nightly fixes shas and the date once for every job.
const sha = z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/, 'must be a full commit sha');
const reference = z.string().min(1);

const plannedImageSchema = z.object({
  name: z.string().min(1),
  base: z.string().optional(),
  context: z.string().min(1),
  tags: z.object({
    dated: reference,
    floating: reference,
    version: reference.optional(),
    also: z.array(reference).optional(),
  }),
  buildArgs: z.record(z.string(), z.string()),
  labels: z.record(z.string(), z.string()),
  platforms: z.array(platformSchema).min(1).optional(),
});

const planShape = z.object({
  version: z.literal(PLAN_VERSION, {
    message: `must be ${PLAN_VERSION}; this plan was made by another version of mesos-pipeline`,
  }),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  registry: z.string().min(1),
  repo: z.string().min(1),
  createdAt: z.string().min(1),
  imagesDir: z.string().min(1),
  branches: z.array(
    z.object({
      branch: z.string().min(1),
      sha,
      releaseTag: z.string().optional(),
      version: z.string().min(1),
      versionPattern: z.string(),
      host: z.object({
        cgroupVersions: z.array(z.union([z.literal(1), z.literal(2)])).min(1),
        privileged: z.boolean(),
      }),
      images: z.array(plannedImageSchema).min(1),
    }),
  ),
});

// Then what the command line checks too: registries, tags, branch names, the repository URL.
export const planSchema = planShape.superRefine((plan, context) => {
  for (const problem of planProblems(plan))
    context.addIssue({ code: 'custom', path: problem.path, message: problem.message });
});

/**
 * A plan of another format version cannot be read field by field (version 1 listed tags by
 * position, version 2 names their roles): one line that says so and what to do, before any other
 * problem. Undefined when the version is this one's, or absent (the schema then names it).
 */
export function planVersionProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || !('version' in raw)) return undefined;
  const { version } = raw;
  if (version === PLAN_VERSION || typeof version !== 'number') return undefined;
  const by = version < PLAN_VERSION ? 'an older' : 'a newer';
  return (
    `the plan has format version ${version}, made by ${by} mesos-pipeline; this one reads version ` +
    `${PLAN_VERSION}: make the plan again with this mesos-pipeline (plan --json)`
  );
}
