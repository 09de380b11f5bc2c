import { z } from 'zod';
import { RELEASE_BRANCH } from '../../tags/index.js';
import { DEFAULT_PLATFORMS, PLATFORM_MESSAGE, PLATFORM_PATTERN } from './platforms.js';

export { DEFAULT_PLATFORMS };

// master or N.N.x, by the one release-branch pattern (tags/branch-names.ts).
const MESOS_BRANCH = new RegExp(`^(master|${RELEASE_BRANCH.source.replace(/^\^|\$$/g, '')})$`);

// Image names become repository path components, so they follow Docker's grammar.
const imageName = z
  .string()
  .regex(
    /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/,
    'must be a Docker repository name: lower-case letters, digits and single . _ or - between them',
  );

const cgroupVersion = z.union([z.literal(1), z.literal(2)], { message: 'must be 1 or 2 (cgroup v1, cgroup v2)' });

// What a host must offer to run the image's service tests; every field may be left out.
const hostNeedsFields = {
  /** The cgroup versions the service tests can run on: [1], [2] or [1, 2]. */
  cgroupVersions: z
    .array(cgroupVersion)
    .min(1, 'must name at least one cgroup version; leave the field out for "any"')
    .refine((versions) => new Set(versions).size === versions.length, 'must not name a version twice')
    .optional(),
  /** Whether they need a privileged container. */
  privileged: z.boolean().optional(),
  /** Kernel modules the host must offer (loaded, built in or loadable). */
  kernelModules: z
    .array(z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be a kernel module name such as br_netfilter'))
    .optional(),
};

export const hostNeedsSchema = z.object(hostNeedsFields).strict();

export const hostDeclarationSchema = z
  .object({
    ...hostNeedsFields,
    /** Per-branch overrides of the fields above, field by field. */
    branches: z
      .record(z.string().regex(MESOS_BRANCH, 'must be master or a release branch such as 1.11.x'), hostNeedsSchema)
      .optional(),
  })
  .strict();

/** `os/arch` or `os/arch/variant` as the engine's `platform` parameter and OCI indexes name it. */
export const platformSchema = z.string().regex(PLATFORM_PATTERN, PLATFORM_MESSAGE);

export const imageEntrySchema = z
  .object({
    name: imageName,
    context: z.string().min(1, 'must name a folder beside images.json'),
    base: imageName.optional(),
    /** What a host must offer to run this image's service tests (default: anything). */
    host: hostDeclarationSchema.optional(),
    /**
     * The platforms to build, smoke-test and publish as one image index (default linux/amd64, a
     * single image as before). A child may name only platforms its base is built for.
     */
    platforms: z
      .array(platformSchema)
      .min(1, 'must name at least one platform; leave the field out for linux/amd64')
      .refine((platforms) => new Set(platforms).size === platforms.length, 'must not name a platform twice')
      .optional(),
  })
  .strict();

export const familySchema = z
  .object({
    $schema: z.string().optional(),
    images: z.array(imageEntrySchema).min(1, 'must list at least one image'),
  })
  .strict();

export type ImageEntry = z.infer<typeof imageEntrySchema>;
export type HostDeclaration = z.infer<typeof hostDeclarationSchema>;
