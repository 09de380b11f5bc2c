import { formatAge } from '../settings/duration.js';
import type { PlannedBranch } from '../plan/plan.js';
import type { Manifest, Registry } from '../ports.js';
import { parseImageRef } from '../../tags/index.js';
import type { RunShared } from './context.js';
import { BASE_IMAGE_LABEL, INPUTS_LABEL, inputsDigest } from './inputs.js';
import type { Snapshot } from './snapshot.js';

/** What a published floating tag holds, as far as the skip decision needs it. */
export interface Published {
  manifest: Manifest;
  /** The config digest: the image ID the engine had when it built the image. */
  imageId: string;
  labels: Record<string, string>;
}

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
}

/** The inputs digest each image of the branch would be built with, bases before children. */
export async function expectedInputsOf(branch: PlannedBranch, shared: RunShared): Promise<Map<string, string>> {
  const inputs = new Map<string, string>();
  for (const image of branch.images) {
    const context = await shared.contextDigest(image.name, image.context);
    inputs.set(image.name, inputsDigest(image, context, image.base ? inputs.get(image.base) : undefined));
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
