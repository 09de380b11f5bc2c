import pLimit from 'p-limit';
import type { Registry } from '../ports.js';
import { exclusiveDigests, planPrune, type DoomedTag, type PruneRule } from './prune-plan.js';
import type { TagDeleter } from './tag-deleter.js';

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);
// HEAD requests are cheap (and free of Docker Hub's pull limits); a few at once.
const LOOKUPS = 4;

export interface PruneTarget {
  registry: Registry;
  /** Not needed for a dry run. */
  deleter?: TagDeleter | undefined;
  /**
   * The deleter removes manifests (Registry API): read the manifests kept tags point at, so that a
   * manifest a kept image index lists is never deleted. Needless where tags are deleted alone.
   */
  deletesManifests: boolean;
}

export interface PrunedTag extends DoomedTag {
  repository: string;
  /** Deleted with its manifest (only doomed tags pointed at it), rather than as a tag alone. */
  withManifest: boolean;
}

export interface PruneOptions extends PruneRule {
  dryRun: boolean;
  /** Called for every tag once it is deleted (or, in a dry run, once it is chosen). */
  onTag: (tag: PrunedTag) => void;
}

async function digestsOf(
  registry: Registry,
  repository: string,
  tags: readonly string[],
): Promise<{ tag: string; digest: string | undefined }[]> {
  const limit = pLimit(LOOKUPS);
  return Promise.all(tags.map((tag) => limit(async () => ({ tag, digest: await registry.digestOf(repository, tag) }))));
}

async function indexChildren(
  registry: Registry,
  repository: string,
  digests: ReadonlySet<string>,
): Promise<Set<string>> {
  const children = new Set<string>();
  for (const digest of digests) {
    const manifest = await registry.getManifest(repository, digest);
    if (!manifest || !INDEX_TYPES.has(manifest.mediaType)) continue;
    const index = JSON.parse(manifest.bytes.toString('utf8')) as { manifests?: { digest?: string }[] };
    for (const entry of index.manifests ?? []) if (entry.digest) children.add(entry.digest);
  }
  return children;
}

/**
 * Deletes the dated tags of `repository` older than the rule allows. A manifest only doomed tags
 * point at is deleted whole; a tag sharing its manifest with a kept tag is removed alone, so every
 * kept tag keeps its digest. Returns the tags deleted (or, with dryRun, that would be).
 */
export async function pruneRepository(
  repository: string,
  target: PruneTarget,
  options: PruneOptions,
): Promise<{ pruned: PrunedTag[]; kept: number; cutoff: string }> {
  const tags = await target.registry.listTags(repository);
  const plan = planPrune(await digestsOf(target.registry, repository, tags), options);
  const pruned: PrunedTag[] = [];
  if (plan.doomed.length === 0) return { pruned, kept: plan.kept.length, cutoff: plan.cutoff };

  const keptDigests = new Set(plan.kept.flatMap((entry) => (entry.digest ? [entry.digest] : [])));
  const protectedDigests = target.deletesManifests
    ? await indexChildren(target.registry, repository, keptDigests)
    : new Set<string>();
  const exclusive = exclusiveDigests(plan, protectedDigests);
  for (const doomed of plan.doomed) {
    const entry: PrunedTag = {
      ...doomed,
      repository,
      withManifest: target.deletesManifests && exclusive.has(doomed.digest),
    };
    if (!options.dryRun) {
      if (!target.deleter) throw new Error('pruning needs a tag deleter');
      await target.deleter.deleteTags(repository, [doomed.tag], exclusive);
    }
    pruned.push(entry);
    options.onTag(entry);
  }
  return { pruned, kept: plan.kept.length, cutoff: plan.cutoff };
}
