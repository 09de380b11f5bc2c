import path from 'node:path';
import type { Family } from '../family/family.js';
import type { Plan } from './plan.js';

// A plan is made in one place (the nightly's plan job) and applied in others (each publish job,
// with its own checkout at its own path). So its folders are never absolute paths of the machine
// that made it: `imagesDir` is relative to the repository that holds the family, or names a folder
// of mesos-pipeline itself (family/family-location.ts decides which); each image's `context` is
// relative to `imagesDir`, as in images.json. They are resolved where the plan is applied.

/** The plan with the folders `makePlan` wrote relative, as absolute paths into `family`. */
export function applyFamily(plan: Plan, family: Family): Plan {
  return {
    ...plan,
    imagesDir: family.dir,
    branches: plan.branches.map((branch) => ({
      ...branch,
      images: branch.images.map((image) => ({ ...image, context: path.resolve(family.dir, image.context) })),
    })),
  };
}

/** An image's context as a plan writes it: relative to the family folder. */
export function planContext(family: Family, context: string): string {
  return path.relative(family.dir, context).split(path.sep).join('/');
}
