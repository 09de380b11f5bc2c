import type { PlannedBranch } from '../plan/plan.js';
import type { Manifest, Registry } from '../ports.js';
import { parseImageRef, pushOrder } from '../../tags/index.js';

/** Every planned tag of a branch (full reference) and the manifest it held when read (undefined: none). */
export type Snapshot = ReadonlyMap<string, Manifest | undefined>;

/**
 * Reads what every planned tag of the branch points at now. Before the build it tells what is
 * published (and proves the registry answers, before an hour's compile); right before the first
 * push it is what a rollback puts back.
 */
export async function snapshotBranch(branch: PlannedBranch, registry: Registry): Promise<Snapshot> {
  const snapshot = new Map<string, Manifest | undefined>();
  for (const image of branch.images) {
    for (const reference of pushOrder(image.tags)) {
      const ref = parseImageRef(reference);
      snapshot.set(reference, await registry.getManifest(ref.repository, ref.tag));
    }
  }
  return snapshot;
}
