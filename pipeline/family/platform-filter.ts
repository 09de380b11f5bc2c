import { InputError } from '../errors.js';
import { DEFAULT_PLATFORMS, PLATFORM_PATTERN } from './platforms.js';
import type { Family } from './family.js';

/** The environment variable that narrows a run to some of the declared platforms. */
export const PLATFORMS_ENV = 'MESOS_PIPELINE_PLATFORMS';

/**
 * The family narrowed to `wanted` (MESOS_PIPELINE_PLATFORMS, comma-separated): each image keeps the
 * declared platforms named there, in its own order. An image left with linux/amd64 alone is a
 * single image again, published exactly as before platforms existed, so a host or nightly that
 * cannot build arm64 yet keeps publishing what it always did. Undefined or empty: the family as declared.
 */
export function narrowPlatforms(family: Family, wanted: string | undefined): Family {
  if (wanted === undefined || wanted.trim() === '') return family;
  const list = wanted
    .split(',')
    .map((platform) => platform.trim())
    .filter(Boolean);
  const bad = list.filter((platform) => !PLATFORM_PATTERN.test(platform));
  if (bad.length > 0) {
    const what = bad.length === 1 ? 'is not a platform' : 'are not platforms';
    throw new InputError(
      `${PLATFORMS_ENV}="${wanted}": ${bad.join(', ')} ${what}; give platforms such as linux/amd64,linux/arm64`,
    );
  }
  const images = family.images.map((image) => {
    const declared = image.platforms ?? DEFAULT_PLATFORMS;
    const kept = declared.filter((platform) => list.includes(platform));
    if (kept.length === 0)
      throw new InputError(
        `${PLATFORMS_ENV}="${wanted}": ${image.name} is built for ${declared.join(', ')} only; name at least one of ` +
          `them`,
      );
    const single = kept.length === DEFAULT_PLATFORMS.length && kept.every((p, i) => p === DEFAULT_PLATFORMS[i]);
    const { platforms: _declared, ...rest } = image;
    return single ? rest : { ...rest, platforms: kept };
  });
  return { ...family, images };
}
