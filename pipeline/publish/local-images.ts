import { BranchFailure, errorMessage } from '../errors.js';
import type { PlannedBranch } from '../plan/plan.js';
import type { BuiltImage, PlatformImage } from './branch-build.js';
import type { PublishDeps } from './context.js';
import { INPUTS_LABEL } from './inputs.js';
import { engineOutput } from './push.js';
import type { Decision } from './reuse.js';

/**
 * A reused image that a rebuilt child stands on must be in the engine: pull it by digest (its
 * image ID is then the published config digest), rather than rebuild and retest it. Returns the
 * pulled bases by name.
 */
export async function pullReusedBases(
  branch: PlannedBranch,
  decisions: ReadonlyMap<string, Decision>,
  deps: PublishDeps,
): Promise<Map<string, BuiltImage>> {
  const pulled = new Map<string, BuiltImage>();
  for (const image of branch.images) {
    const base = image.base ? decisions.get(image.base) : undefined;
    if (!image.base || base?.action !== 'reuse' || decisions.get(image.name)?.action === 'reuse') continue;
    if (pulled.has(image.base)) continue;
    const floating = branch.images.find((candidate) => candidate.name === image.base)?.tags.floating as string;
    const byDigest = `${floating.slice(0, floating.lastIndexOf(':'))}@${base.published.manifest.digest}`;
    const log = deps.log.child(`${image.base}@${branch.branch}`);
    const repository = floating.slice(0, floating.lastIndexOf(':'));
    if (base.published.platforms) {
      // A multi-platform base: each platform's image by its own digest, for that platform's child build.
      const platforms: PlatformImage[] = [];
      for (const platform of base.published.platforms) {
        const ref = `${repository}@${platform.manifest.digest}`;
        log.info(`pulling ${ref} (${platform.platform}) for ${image.name} to build on`);
        const pulledId = await deps.engine
          .pull(ref, deps.credentials, engineOutput(log), deps.signal)
          .catch((error: unknown) => {
            throw new BranchFailure('pull', image.base, errorMessage(error), { cause: error });
          });
        if (pulledId !== platform.imageId)
          throw new BranchFailure('pull', image.base, `pulled ${ref} as ${pulledId}, expected ${platform.imageId}`);
        platforms.push({
          platform: platform.platform,
          imageId: pulledId,
          inputs: platform.labels[INPUTS_LABEL] ?? '',
          buildMs: 0,
        });
      }
      const first = platforms[0] as PlatformImage;
      pulled.set(image.base, { name: image.base, imageId: first.imageId, inputs: first.inputs, platforms });
      continue;
    }
    log.info(`pulling ${byDigest} for ${image.name} to build on`);
    const imageId = await deps.engine
      .pull(byDigest, deps.credentials, engineOutput(log), deps.signal)
      .catch((error: unknown) => {
        throw new BranchFailure('pull', image.base, errorMessage(error), { cause: error });
      });
    if (imageId !== base.published.imageId)
      throw new BranchFailure(
        'pull',
        image.base,
        `pulled ${byDigest} as ${imageId}, expected ${base.published.imageId}`,
      );
    pulled.set(image.base, { name: image.base, imageId, inputs: base.published.labels[INPUTS_LABEL] ?? '' });
  }
  return pulled;
}

/** Removes what the run put in the engine for a branch (its dated tag and the image); keeps the build cache. */
export async function removeLocalImages(
  branch: PlannedBranch,
  images: readonly BuiltImage[],
  deps: PublishDeps,
): Promise<void> {
  // Children first: an image with a child cannot go before it.
  for (const image of [...branch.images].reverse()) {
    const local = images.find((candidate) => candidate.name === image.name);
    if (!local) continue;
    const ids = local.platforms ? local.platforms.map((platform) => platform.imageId) : [local.imageId];
    for (const ref of [image.tags.dated, ...ids]) {
      await deps.engine
        .removeImage(ref)
        .catch((error: unknown) => deps.log.child(`${image.name}@${branch.branch}`).warn(errorMessage(error)));
    }
  }
}
