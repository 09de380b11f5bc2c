import { createHash } from 'node:crypto';
import type { PlannedImage } from '../plan/plan.js';

/** Labels the pipeline adds to every image, besides the OCI ones of the plan. */
export const INPUTS_LABEL = 'io.mesos-pipeline.inputs';
export const BASE_IMAGE_LABEL = 'io.mesos-pipeline.base-image';
/** The run that built the image (and started a container): what `clean --run` removes. */
export const RUN_LABEL = 'io.mesos-pipeline.run';
/**
 * On every stage of every build (a LABEL right after each FROM), so each intermediate image of the
 * classic builder, which is the build cache, carries it: what `clean --cache-max-age` prunes.
 */
export const CACHE_LABEL = 'io.mesos-pipeline.cache';

// The creation time changes every run without changing what is built.
const VOLATILE_LABELS = new Set(['org.opencontainers.image.created']);

/**
 * A digest of everything that decides what an image is: its build context, build args, the plan's
 * labels (all but the creation time) and, for a child, its base's own inputs digest. Equal digests
 * mean the same build; the skip-unchanged check compares it with the label of the published image.
 */
export function inputsDigest(
  image: PlannedImage,
  contextDigest: string,
  baseInputs: string | undefined,
  platform?: string,
): string {
  const sorted = (record: Record<string, string>): [string, string][] =>
    Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
  const document = {
    name: image.name,
    context: contextDigest,
    buildArgs: sorted(image.buildArgs),
    labels: sorted(image.labels).filter(([key]) => !VOLATILE_LABELS.has(key)),
    base: baseInputs ?? null,
    // Only for images that declare platforms: JSON.stringify leaves out a property that is
    // undefined, so a single image's digest stays what it always was.
    platform,
  };
  return `sha256:${createHash('sha256').update(JSON.stringify(document)).digest('hex')}`;
}
