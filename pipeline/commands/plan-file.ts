import { stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError, errorMessage } from '../errors.js';
import { FAMILY_FILE, loadFamily, type Family } from '../family/family.js';
import { readJsonConfig } from '../family/json-config.js';
import { resolveImagesDir } from '../family/family-location.js';
import { planContext } from '../plan/plan-paths.js';
import { planSchema, planVersionProblem } from '../plan/plan-schema.js';
import { smokeSpecProblems } from '../smoke/spec.js';
import type { Runtime } from '../settings/runtime.js';
import { dayRangeProblem, utcDay } from '../../tags/index.js';
import type { LocatedPlan } from './plan.js';

export interface PlanFileFlags {
  branch: string[];
  images?: string | undefined;
  repo?: string | undefined;
  date?: string | undefined;
  registry?: string | undefined;
  minVersion?: string | undefined;
  /** `--rerun-old-date`: a plan for a day more than OLD_DATE_DAYS back is a deliberate re-run. */
  rerunOldDate?: boolean | undefined;
}

/**
 * Reads a plan written by `plan --json`, for `publish --plan`. The plan fixes repository, shas,
 * date and registry; options that would change them are refused rather than silently ignored.
 * `--branch` picks planned branches. The plan's folders are found where it is applied
 * (plan-paths.ts), or `--images` says where the family is; either way it must hold the same images
 * as the plan, at the same places.
 */
export async function readPlanFile(
  file: string,
  flags: PlanFileFlags,
  runtime: Pick<Runtime, 'cwd' | 'clock'>,
): Promise<LocatedPlan> {
  const { cwd } = runtime;
  const clashing = (['repo', 'date', 'registry', 'minVersion'] as const).filter((name) => flags[name] !== undefined);
  if (clashing.length > 0) {
    const names = clashing.map((name) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ');
    throw new InputError(`--plan fixes the repository, shas, date and registry; drop ${names}`);
  }
  const plan = await readJsonConfig(path.resolve(cwd, file), planSchema, {
    label: `--plan ${file}`,
    unreadable: (error) =>
      new InputError(
        `--plan ${file}: cannot read a JSON plan (${errorMessage(error)}); make one with mesos-pipeline plan --json`,
      ),
    precheck: (raw) => {
      const versionProblem = planVersionProblem(raw);
      if (versionProblem) throw new InputError(`--plan ${file}: ${versionProblem}`);
    },
  });
  // The plan's day is checked on the day it is applied, as `--date` is when a plan is made: an old
  // plan file would otherwise leave a dated tag of a far day in the registry for good.
  const range = dayRangeProblem(
    plan.date,
    utcDay(runtime.clock.now()),
    flags.rerunOldDate ?? false,
    'plan again for a day',
  );
  if (range) throw new InputError(`--plan ${file}: the plan's date ${range}`);

  const family = await familyOf(file, plan.imagesDir, flags.images, cwd);
  const shape = (images: readonly { name: string; base?: string | undefined }[]): string =>
    images.map((i) => `${i.name}${i.base ? `<${i.base}` : ''}`).join(',');
  const contexts = new Map(family.images.map((image) => [image.name, image.context]));
  plan.branches.forEach((branch, b) => {
    if (shape(branch.images) !== shape(family.images)) {
      throw new InputError(
        `--plan ${file}: branch ${branch.branch} plans images ${shape(branch.images)}, but ${family.file} has ` +
          `${shape(family.images)}; plan again`,
      );
    }
    branch.images.forEach((image, i) => {
      const actual = contexts.get(image.name) as string;
      if (path.resolve(family.dir, image.context) !== actual)
        throw new InputError(
          `--plan ${file}: branches[${b}].images[${i}].context "${image.context}" is not where ${family.file} has ` +
            `${image.name} ("${planContext(family, actual)}"); plan again`,
        );
    });
  });
  const planned = plan.branches.map((b) => b.branch);
  const unknown = flags.branch.filter((name) => !planned.includes(name));
  if (unknown.length > 0)
    throw new InputError(
      `--branch "${unknown[0]}" is not in the plan ${file}; planned branches: ${planned.join(', ') || '(none)'}`,
    );
  return {
    plan: {
      ...plan,
      branches:
        flags.branch.length === 0 ? plan.branches : plan.branches.filter((b) => flags.branch.includes(b.branch)),
    },
    family,
  };
}

/**
 * The family the plan names, found on this machine: `--images` when given, else the plan's
 * `imagesDir` resolved here. A family that is not there is named by the plan's field, not by an
 * option nobody gave.
 */
async function familyOf(file: string, imagesDir: string, images: string | undefined, cwd: string): Promise<Family> {
  if (images !== undefined) return loadFamily(path.resolve(cwd, images), smokeSpecProblems);
  const where = resolveImagesDir(imagesDir, cwd);
  if (!(await isFile(path.join(where.dir, FAMILY_FILE))))
    throw new InputError(
      `--plan ${file}: imagesDir "${imagesDir}": no ${FAMILY_FILE} in ${where.dir} (${where.from}); run publish ` +
        `inside a checkout of the repository the plan was made in, or give --images <dir>`,
    );
  return loadFamily(where.dir, smokeSpecProblems);
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (info) => info.isFile(),
    () => false,
  );
}
