import { loadFamily, type Family, type SmokeValidator } from '../family/family.js';
import { narrowPlatforms, PLATFORMS_ENV } from '../family/platform-filter.js';
import { eligibleBranches, selectBranches } from '../plan/branches.js';
import { makePlan, type Plan } from '../plan/plan.js';
import { portableImagesDir } from '../family/family-location.js';
import { renderPlan } from '../plan/render.js';
import type { PlanSettings } from '../settings/common-options.js';
import type { Runtime } from '../settings/runtime.js';

/** A plan as it travels (portable folders) and the family it was made from, on this machine. */
export interface LocatedPlan {
  plan: Plan;
  family: Family;
}

/** Resolves branches to exact commits and computes the plan. Reads git; touches no engine. */
export async function buildPlan(
  settings: PlanSettings,
  runtime: Runtime,
  validateSmoke?: SmokeValidator,
): Promise<LocatedPlan> {
  // The family is local input: validate it before reaching out to the network.
  // MESOS_PIPELINE_PLATFORMS narrows the declared platforms (the nightly: linux/amd64 for now).
  const family = narrowPlatforms(await loadFamily(settings.imagesDir, validateSmoke), runtime.env[PLATFORMS_ENV]);
  const refs = await runtime.git.listRefs(settings.repo, runtime.signal);
  const eligible = eligibleBranches(refs, settings.minVersion);
  const branches = selectBranches(eligible, settings.branches, settings.repo, settings.minVersion);
  const plan = makePlan({
    date: settings.date,
    createdAt: settings.createdAt,
    repo: settings.repo,
    registry: settings.registry,
    family,
    imagesDir: portableImagesDir(family.dir),
    branches,
  });
  return { plan, family };
}

export function printPlan(plan: Plan, json: boolean, runtime: Runtime): void {
  runtime.stdout.write(json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan));
}
