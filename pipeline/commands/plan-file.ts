import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, InputError, errorMessage } from '../errors.js';
import { loadFamily } from '../family/family.js';
import { zodProblems } from '../family/zod-problems.js';
import type { Plan } from '../plan/plan.js';
import { planSchema, planVersionProblem } from '../plan/plan-schema.js';
import { smokeSpecProblems } from '../smoke/spec.js';

export interface PlanFileFlags {
  branch: string[];
  images?: string | undefined;
  repo?: string | undefined;
  date?: string | undefined;
  registry?: string | undefined;
  minVersion?: string | undefined;
}

/**
 * Reads a plan written by `plan --json`, for `publish --plan`. The plan fixes repository, shas,
 * date and registry; options that would change them are refused rather than silently ignored.
 * `--branch` picks planned branches; `--images` says where the family is on this machine (a CI job
 * may check out elsewhere than the plan job), and must hold the same images as the plan.
 */
export async function readPlanFile(file: string, flags: PlanFileFlags, cwd: string): Promise<Plan> {
  const clashing = (['repo', 'date', 'registry', 'minVersion'] as const).filter((name) => flags[name] !== undefined);
  if (clashing.length > 0) {
    const names = clashing.map((name) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ');
    throw new InputError(`--plan fixes the repository, shas, date and registry; drop ${names}`);
  }
  const full = path.resolve(cwd, file);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(full, 'utf8'));
  } catch (error) {
    throw new InputError(
      `--plan ${file}: cannot read a JSON plan (${errorMessage(error)}); make one with mesos-pipeline plan --json`,
    );
  }
  const versionProblem = planVersionProblem(raw);
  if (versionProblem) throw new InputError(`--plan ${file}: ${versionProblem}`);
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`--plan ${file}`, zodProblems(parsed.error));
  const plan = parsed.data;

  const family = await loadFamily(flags.images ? path.resolve(cwd, flags.images) : plan.imagesDir, smokeSpecProblems);
  const shape = (images: readonly { name: string; base?: string | undefined }[]): string =>
    images.map((i) => `${i.name}${i.base ? `<${i.base}` : ''}`).join(',');
  const contexts = new Map(family.images.map((image) => [image.name, image.context]));
  for (const branch of plan.branches) {
    if (shape(branch.images) !== shape(family.images)) {
      throw new InputError(
        `--plan ${file}: branch ${branch.branch} plans images ${shape(branch.images)}, but ${family.file} has ${shape(family.images)}; plan again`,
      );
    }
    for (const image of branch.images) image.context = contexts.get(image.name) as string;
  }
  const planned = plan.branches.map((b) => b.branch);
  const unknown = flags.branch.filter((name) => !planned.includes(name));
  if (unknown.length > 0)
    throw new InputError(
      `--branch "${unknown[0]}" is not in the plan ${file}; planned branches: ${planned.join(', ') || '(none)'}`,
    );
  return {
    ...plan,
    imagesDir: family.dir,
    branches: flags.branch.length === 0 ? plan.branches : plan.branches.filter((b) => flags.branch.includes(b.branch)),
  };
}
