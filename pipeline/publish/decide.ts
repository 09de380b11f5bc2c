import { WorkError } from '../errors.js';
import type { PlannedBranch } from '../plan/plan.js';
import type { PublishDeps, PublishOptions, RunShared } from './context.js';
import { decideReuse, expectedInputsOf, readPublished, type Decision } from './reuse.js';
import { snapshotBranch } from './snapshot.js';

/**
 * Before anything is built: reads what the registry holds under the branch's tags (which also
 * proves the registry answers, before an hour's compile) and decides per image whether the
 * published one can be reused. No decisions without pushing (nothing to compare with) or with
 * --force (everything is rebuilt).
 */
export async function decide(
  branch: PlannedBranch,
  deps: PublishDeps,
  options: PublishOptions,
  shared: RunShared,
): Promise<Map<string, Decision>> {
  if (!options.push) return new Map();
  if (!deps.registry) throw new WorkError('registry', 'pushing needs a registry client');
  const published = await snapshotBranch(branch, deps.registry);
  if (options.force) return new Map();
  const decisions = decideReuse(
    branch,
    await expectedInputsOf(branch, shared),
    await readPublished(branch, published, deps.registry),
    { now: deps.clock.now(), rebuildAfterMs: options.rebuildAfterMs },
  );
  for (const [name, decision] of decisions) {
    const log = deps.log.child(`${name}@${branch.branch}`);
    if (decision.action === 'reuse')
      log.info(`unchanged: reusing ${decision.published.manifest.digest.slice(0, 19)} (${decision.reason})`);
    else log.info(`rebuilding: ${decision.reason}`);
  }
  return decisions;
}
