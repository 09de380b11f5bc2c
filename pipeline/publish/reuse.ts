import { formatAge } from '../settings/duration.js';
import type { PlannedBranch, PlannedImage } from '../plan/plan.js';
import { indexEntries } from './image-index.js';
import type { Manifest, Registry } from '../ports.js';
import { parseImageRef } from '../../tags/index.js';
import type { RunShared } from './context.js';
import { BASE_IMAGE_LABEL, INPUTS_LABEL, inputsDigest } from './inputs.js';
import type { Snapshot } from './snapshot.js';

/** What a published floating tag holds, as far as the skip decision needs it. */
export interface Published {
  /** The image's manifest; of a multi-platform image, its image index. */
  manifest: Manifest;
  /** The config digest: the image ID the engine had when it built the image (of an index, its first platform's). */
  imageId: string;
  labels: Record<string, string>;
  /** Of an image index: each platform's manifest, image ID and labels, in the index's order. */
  platforms?: PublishedPlatform[];
}

export interface PublishedPlatform {
  platform: string;
  manifest: Manifest;
  imageId: string;
  labels: Record<string, string>;
}

/** The key of one platform's expected inputs (expectedInputsOf). */
export const platformKey = (name: string, platform: string): string => `${name}\n${platform}`;

export type Decision =
  /** `noCache`: rebuilt for its age, so every step runs again; the build cache holds the old layers. */
  { action: 'build'; reason: string; noCache?: boolean } | { action: 'reuse'; reason: string; published: Published };

const SINGLE_IMAGE_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
]);
const REVISION = 'org.opencontainers.image.revision';
const CREATED = 'org.opencontainers.image.created';

/** When an unchanged image is old enough to be rebuilt anyway: OS and package updates reach it. */
export interface RebuildAge {
  /** The run's start: ages are counted to it. */
  now: Date;
  /** `--rebuild-after`. */
  rebuildAfterMs: number;
}

/** Why an otherwise unchanged image is rebuilt for its age, or undefined when it is young enough. */
function ageProblem(labels: Record<string, string>, age: RebuildAge): string | undefined {
  const created = labels[CREATED];
  const at = created === undefined ? Number.NaN : Date.parse(created);
  if (Number.isNaN(at)) return `the published image has no valid ${CREATED} label: its age is unknown`;
  const old = age.now.getTime() - at;
  if (old <= age.rebuildAfterMs) return undefined;
  return (
    `the published image is ${formatAge(old)} old, older than --rebuild-after ` +
    `${formatAge(age.rebuildAfterMs)}: rebuilt for OS and package updates`
  );
}

/**
 * Per image: reuse the published image under the floating tag, or build. Reuse only when all of
 * this holds, else build (never skip on a guess):
 *  - the floating tag exists and is a single image whose config could be read;
 *  - its revision label is the planned sha and its inputs label equals the inputs of this build;
 *  - for a child, its base is reused too and it was built on exactly that base image;
 *  - it is no older than `--rebuild-after` (by its created label): else `yum update` and unpinned
 *    packages would never reach an image whose branch stopped moving.
 */
export function decideReuse(
  branch: PlannedBranch,
  expectedInputs: ReadonlyMap<string, string>,
  published: ReadonlyMap<string, Published | string>,
  age: RebuildAge,
): Map<string, Decision> {
  const decisions = new Map<string, Decision>();
  for (const image of branch.images) {
    const found = published.get(image.name);
    const decide = (): Decision => {
      if (found === undefined) return { action: 'build', reason: 'no floating tag published yet' };
      if (typeof found === 'string') return { action: 'build', reason: found };
      if (image.platforms) return decidePlatforms(image, found, decisions);
      const revision = found.labels[REVISION];
      if (revision !== branch.sha)
        return {
          action: 'build',
          reason:
            `the published image is of ${revision?.slice(0, 12) ?? 'an unknown commit'}, the branch ` +
            `is at ${branch.sha.slice(0, 12)}`,
        };
      if (found.labels[INPUTS_LABEL] !== expectedInputs.get(image.name))
        return { action: 'build', reason: 'the build inputs changed (context, build args or labels)' };
      if (image.base) {
        const base = decisions.get(image.base);
        if (base?.action !== 'reuse') return { action: 'build', reason: `its base ${image.base} is rebuilt` };
        if (found.labels[BASE_IMAGE_LABEL] !== base.published.imageId)
          return { action: 'build', reason: `it was not built on the published ${image.base}` };
      }
      const stale = ageProblem(found.labels, age);
      if (stale) return { action: 'build', reason: stale, noCache: true };
      return {
        action: 'reuse',
        reason: `unchanged since ${found.labels[CREATED]}`,
        published: found,
      };
    };
    decisions.set(image.name, decide());
  }
  return decisions;

  /** A multi-platform image is reused only when every platform's image would be. */
  function decidePlatforms(image: PlannedImage, found: Published, earlier: ReadonlyMap<string, Decision>): Decision {
    const base = image.base ? earlier.get(image.base) : undefined;
    if (image.base && base?.action !== 'reuse') return { action: 'build', reason: `its base ${image.base} is rebuilt` };
    for (const platform of image.platforms ?? []) {
      const published = found.platforms?.find((candidate) => candidate.platform === platform);
      if (!published) return { action: 'build', reason: `the published index has no ${platform} image` };
      const revision = published.labels[REVISION];
      if (revision !== branch.sha)
        return {
          action: 'build',
          reason:
            `the published ${platform} image is of ${revision?.slice(0, 12) ?? 'an unknown commit'}, the ` +
            `branch is at ${branch.sha.slice(0, 12)}`,
        };
      if (published.labels[INPUTS_LABEL] !== expectedInputs.get(platformKey(image.name, platform)))
        return { action: 'build', reason: `the build inputs of ${platform} changed (context, build args or labels)` };
      if (base?.action === 'reuse') {
        const baseImage =
          base.published.platforms?.find((candidate) => candidate.platform === platform)?.imageId ??
          base.published.imageId;
        if (published.labels[BASE_IMAGE_LABEL] !== baseImage)
          return { action: 'build', reason: `its ${platform} image was not built on the published ${image.base}` };
      }
      const stale = ageProblem(published.labels, age);
      if (stale) return { action: 'build', reason: stale, noCache: true };
    }
    return { action: 'reuse', reason: `unchanged on every platform since ${found.labels[CREATED]}`, published: found };
  }
}

/** The inputs digest each image of the branch would be built with, bases before children. */
export async function expectedInputsOf(branch: PlannedBranch, shared: RunShared): Promise<Map<string, string>> {
  const inputs = new Map<string, string>();
  for (const image of branch.images) {
    const context = await shared.contextDigest(image.name, image.context);
    inputs.set(image.name, inputsDigest(image, context, image.base ? inputs.get(image.base) : undefined));
    // As branch-build.ts builds them: each platform on its base's image of that platform.
    for (const platform of image.platforms ?? []) {
      const base = image.base ? (inputs.get(platformKey(image.base, platform)) ?? inputs.get(image.base)) : undefined;
      inputs.set(platformKey(image.name, platform), inputsDigest(image, context, base, platform));
    }
  }
  return inputs;
}

/**
 * Reads the config of each floating tag from the snapshot already taken. A string says why there
 * is nothing to reuse (an index, an unreadable config); any read failure propagates.
 */
export async function readPublished(
  branch: PlannedBranch,
  snapshot: Snapshot,
  registry: Registry,
): Promise<Map<string, Published | string>> {
  const published = new Map<string, Published | string>();
  for (const image of branch.images) {
    const floating = image.tags.floating;
    const manifest = snapshot.get(floating);
    if (!manifest) continue;
    if (image.platforms) {
      published.set(image.name, await readPublishedIndex(image.platforms, floating, manifest, registry));
      continue;
    }
    if (!SINGLE_IMAGE_TYPES.has(manifest.mediaType)) {
      published.set(image.name, `the floating tag holds a ${manifest.mediaType}, not a single image`);
      continue;
    }
    const parsed = JSON.parse(manifest.bytes.toString('utf8')) as { config?: { digest?: string } };
    const configDigest = parsed.config?.digest;
    if (!configDigest) {
      published.set(image.name, 'the floating tag has no image config');
      continue;
    }
    const ref = parseImageRef(floating);
    const config = JSON.parse((await registry.getBlob(ref.repository, configDigest)).toString('utf8')) as {
      config?: { Labels?: Record<string, string> | null };
    };
    published.set(image.name, { manifest, imageId: configDigest, labels: config.config?.Labels ?? {} });
  }
  return published;
}

async function readConfig(
  registry: Registry,
  repository: string,
  manifest: Manifest,
): Promise<{ imageId: string; labels: Record<string, string> } | undefined> {
  const configDigest = (JSON.parse(manifest.bytes.toString('utf8')) as { config?: { digest?: string } }).config?.digest;
  if (!configDigest) return undefined;
  const config = JSON.parse((await registry.getBlob(repository, configDigest)).toString('utf8')) as {
    config?: { Labels?: Record<string, string> | null };
  };
  return { imageId: configDigest, labels: config.config?.Labels ?? {} };
}

/** A published image index, each platform's config read; a string says why it cannot be reused. */
async function readPublishedIndex(
  platforms: readonly string[],
  floating: string,
  manifest: Manifest,
  registry: Registry,
): Promise<Published | string> {
  const entries = indexEntries(manifest);
  if (!entries) return `the floating tag holds a ${manifest.mediaType}, not an image index of ${platforms.join(', ')}`;
  const named = entries.map((entry) => entry.platform);
  if (named.join(',') !== platforms.join(','))
    return `the published index names ${named.join(', ') || 'no platform'}, the plan ${platforms.join(', ')}`;
  const { repository } = parseImageRef(floating);
  const read: PublishedPlatform[] = [];
  for (const entry of entries) {
    const platformManifest = await registry.getManifest(repository, entry.digest);
    const config = platformManifest ? await readConfig(registry, repository, platformManifest) : undefined;
    if (!platformManifest || !config) return `the published ${entry.platform} image has no readable config`;
    read.push({ platform: entry.platform, manifest: platformManifest, ...config });
  }
  const first = read[0] as PublishedPlatform;
  return { manifest, imageId: first.imageId, labels: first.labels, platforms: read };
}
