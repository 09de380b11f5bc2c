// Platform facts that code outside validation needs (rendering, MESOS_PIPELINE_PLATFORMS), kept
// apart from family-schema.ts so that reading them does not load zod.

/** `os/arch` or `os/arch/variant` as the engine's `platform` parameter and OCI indexes name it. */
export const PLATFORM_PATTERN = /^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/;

export const PLATFORM_MESSAGE = 'must be a platform such as linux/amd64 or linux/arm64 (os/arch, optionally /variant)';

/** The platform an image is built for when images.json names none. */
export const DEFAULT_PLATFORMS: readonly string[] = ['linux/amd64'];
