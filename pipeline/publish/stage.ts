import { BranchFailure, errorMessage } from '../errors.js';
import type { PlannedBranch, PlannedImage } from '../plan/plan.js';
import { withRetry } from '../retry.js';
import { RegistryApiTagDeleter } from '../registry/tag-deleter.js';
import { parseImageRef } from '../../tags/index.js';
import type { BranchBuild } from './branch-build.js';
import type { PublishDeps } from './context.js';
import type { BranchPush, PushedImage } from './push.js';
import { engineOutput } from './push.js';
import type { Decision } from './reuse.js';

// The split flow of the nightly (docs/multi-arch.md): one `publish --stage` job per branch and
// platform, each on a runner of that architecture, pushes its platform's images under staging tags
// of the run; one `publish --assemble` job per branch then puts the index under the tags users pull.

/** What a stage run builds: one platform, and the id that scopes its staging tags. */
export interface StageTarget {
  platform: string;
  /** The run's id: staging tags of one run never meet another run's. */
  id: string;
  /** The UTC day the stage runs: `prune` removes staging tags a killed run left, by this day. */
  day: string;
}

// A tag is at most 128 characters of [A-Za-z0-9_.-], starting with a letter, digit or underscore.
const TAG_MAX = 128;

/**
 * The run-scoped tag a stage job pushes one platform's image through, in the image's own
 * repository: `stage-<UTC day>-<run id>-<branch>-<arch>`. It starts with `stage-`, so nothing that
 * reads dated (`<branch>-YYYY-MM-DD`) or floating tags mistakes it for one; the assemble job deletes
 * it, and `prune` deletes one that a killed run left, once its day is over.
 */
export function stagingRef(image: PlannedImage, branch: string, target: StageTarget): string {
  const { host, repository } = parseImageRef(image.tags.dated);
  const arch = target.platform.split('/').slice(1).join('-');
  const clean = (text: string): string => text.replace(/[^A-Za-z0-9_.-]/g, '_');
  const tail = `-${clean(branch)}-${clean(arch)}`;
  const head = `stage-${target.day}-`;
  const tag = `${head}${clean(target.id).slice(0, TAG_MAX - head.length - tail.length)}${tail}`;
  return `${host}/${repository}:${tag}`;
}

/**
 * The branch as a stage job of `platform` builds it: each image that is built for the platform,
 * narrowed to it (an image without platforms is a linux/amd64 image); the others are left out,
 * and with them their children (a child names only platforms its base has).
 */
export function narrowBranch(branch: PlannedBranch, platform: string): PlannedBranch {
  const images = branch.images.flatMap((image): PlannedImage[] => {
    if (!image.platforms) return platform === 'linux/amd64' ? [image] : [];
    return image.platforms.includes(platform) ? [{ ...image, platforms: [platform] }] : [];
  });
  return { ...branch, images };
}

/**
 * Decisions made on the whole published index, narrowed to one platform: a reused image keeps
 * only that platform's manifest, so a child rebuilt on it pulls only that platform's base.
 */
export function narrowDecisions(decisions: ReadonlyMap<string, Decision>, platform: string): Map<string, Decision> {
  return new Map(
    [...decisions].map(([name, decision]): [string, Decision] => {
      if (decision.action !== 'reuse' || !decision.published.platforms) return [name, decision];
      const platforms = decision.published.platforms.filter((candidate) => candidate.platform === platform);
      return [name, { ...decision, published: { ...decision.published, platforms } }];
    }),
  );
}

/** The platform manifest digest a reused image has for the stage's platform (the assemble job reads it). */
export function reusedPlatformDigest(decision: Decision, platform: string): string | undefined {
  if (decision.action !== 'reuse') return undefined;
  const platforms = decision.published.platforms;
  if (!platforms) return platform === 'linux/amd64' ? decision.published.manifest.digest : undefined;
  return platforms.find((candidate) => candidate.platform === platform)?.manifest.digest;
}

/**
 * Pushes each image the stage built through its staging tag (the engine pushes only by tag).
 * Nothing users pull moves, so there is nothing to roll back; on a failure the staging tags this
 * job pushed are deleted (only the tags: `RegistryApiTagDeleter` never deletes a manifest another
 * tag may share), and so is the tag of a push that failed after the registry had taken its
 * manifest (a connection dropped, a deadline hit, after the manifest PUT). Returns what it did;
 * throws nothing a branch could fail with.
 */
export async function stageBranch(
  branch: PlannedBranch,
  build: BranchBuild,
  target: StageTarget,
  deps: PublishDeps,
): Promise<BranchPush> {
  const images: PushedImage[] = [];
  const registry = deps.registry;
  // The staging tag whose push is under way: on a failure it may be in the registry all the same.
  let pushing: string | undefined;
  try {
    if (!registry) throw new BranchFailure('push', undefined, 'no registry client to push with');
    for (const built of build.images) {
      const image = branch.images.find((candidate) => candidate.name === built.name) as PlannedImage;
      const log = deps.log.child(`${image.name}@${branch.branch}`);
      const imageId = built.platforms?.[0]?.imageId ?? built.imageId;
      const reference = stagingRef(image, branch.branch, target);
      const ref = parseImageRef(reference);
      const started = deps.clock.now().getTime();
      deps.signal.throwIfAborted();
      await deps.engine.tagImage(imageId, ref).catch((error: unknown) => {
        throw new BranchFailure('push', image.name, `${target.platform}: ${errorMessage(error)}`, { cause: error });
      });
      pushing = reference;
      const digest = await withRetry(
        `push ${reference}`,
        () => deps.engine.push(ref, deps.credentials, engineOutput(log), deps.signal),
        { policy: deps.retry, clock: deps.clock, signal: deps.signal, log },
      ).catch((error: unknown) => {
        throw new BranchFailure('push', image.name, `${target.platform}: ${errorMessage(error)}`, { cause: error });
      });
      pushing = undefined;
      const pushMs = deps.clock.now().getTime() - started;
      log.info(`staged ${target.platform} as ${reference} (${digest.slice(0, 19)}) in ${(pushMs / 1000).toFixed(1)}s`);
      images.push({
        name: image.name,
        digest,
        pushMs,
        tags: [reference],
        ...(image.platforms ? { platforms: [{ platform: target.platform, digest }] } : {}),
      });
    }
    return { images };
  } catch (failure) {
    const rollback = registry ? await deleteStaging(images, pushing, registry, deps) : [];
    return { images: [], failure, rollback };
  }
}

/** Deletes staging tags, each alone (its manifest stays for whatever else names it); one line each. */
export async function deleteStagingTags(
  references: readonly string[],
  registry: NonNullable<PublishDeps['registry']>,
  deps: Pick<PublishDeps, 'tagDeleterFor' | 'log' | 'signal'>,
): Promise<string[]> {
  const cleanup = registry.forCleanup(15_000);
  const deleter = deps.tagDeleterFor?.(cleanup) ?? new RegistryApiTagDeleter(cleanup);
  const lines: string[] = [];
  for (const reference of references) {
    const { repository, tag } = parseImageRef(reference);
    try {
      await deleter.deleteTags(repository, [tag]);
      lines.push(`deleted the staging tag ${reference}`);
    } catch (error) {
      const line = `could not delete the staging tag ${reference}: ${errorMessage(error)}`;
      deps.log.warn(line);
      lines.push(line);
    }
  }
  return lines;
}

/** The staging tags pushed, and the one of a failed push if the registry has it after all. */
async function deleteStaging(
  images: readonly PushedImage[],
  pushing: string | undefined,
  registry: NonNullable<PublishDeps['registry']>,
  deps: PublishDeps,
): Promise<string[]> {
  const references = images.flatMap((image) => image.tags);
  if (pushing !== undefined) {
    const { repository, tag } = parseImageRef(pushing);
    // Asked first, so that a push that never reached the registry adds no line; a failed
    // question tries the delete anyway (which then warns if it fails too).
    const there = await registry
      .forCleanup(15_000)
      .digestOf(repository, tag)
      .then(
        (digest) => digest !== undefined,
        () => true,
      );
    if (there) references.push(pushing);
  }
  return deleteStagingTags(references, registry, deps);
}
