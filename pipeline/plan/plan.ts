import {
  computeTags,
  RELEASE_BRANCH,
  formatImageRef,
  formatRegistryTarget,
  imageRef,
  mapTagSet,
  type RegistryTarget,
  type TagSet,
} from '../../tags/index.js';
import type { Family } from '../family/family.js';
import { branchHost, combineNeeds, imageNeeds, type BranchHost } from '../family/host-needs.js';
import type { EligibleBranch } from './branches.js';
import { planContext } from './plan-paths.js';

/** 2: tags by role (`{ dated, floating, version?, also? }`); 1 had a list in push order. */
export const PLAN_VERSION = 2;

/** One image of one branch: what to build and which references to push. */
export interface PlannedImage {
  name: string;
  base?: string;
  /**
   * The build context, relative to the plan's `imagesDir` as in images.json (`mesos-centos`);
   * an applied plan (plan-paths.ts `applyFamily`) holds the absolute path.
   */
  context: string;
  /**
   * Full references by role. Pushed dated first; floating, version and `also` (master's `latest`)
   * move only once every image of the branch has its dated tag (tags/tag-set.ts: pushOrder).
   */
  tags: TagSet;
  /** GIT_REPO, GIT_SHA, GIT_BRANCH, VERSION. BASE_IMAGE is added when the base is built. */
  buildArgs: Record<string, string>;
  /** OCI labels every image carries. */
  labels: Record<string, string>;
  /**
   * The platforms images.json declares for it (`linux/amd64`, `linux/arm64`): each is built and
   * smoke-tested, and the tags get one image index naming them all. Absent: one linux/amd64 image,
   * built and pushed as before (plan format 2 without the field).
   */
  platforms?: string[];
}

export interface PlannedBranch {
  branch: string;
  /** The full commit sha the branch resolved to; stages build this, never "the branch". */
  sha: string;
  releaseTag?: string;
  /** The release tag, else the branch name. */
  version: string;
  /** A regular expression the Mesos version of this build matches (for smoke tests). */
  versionPattern: string;
  /**
   * What a host must offer to run the service tests of this branch's images: the cgroup versions
   * (1 and/or 2) they can run on, and whether they need a privileged container. The nightly
   * routes each branch to a runner that has it; `publish` checks it before building.
   */
  host: BranchHost;
  images: PlannedImage[];
}

/** A pure, JSON-serializable description of a run. `--dry-run` and `plan --json` print it. */
export interface Plan {
  version: typeof PLAN_VERSION;
  date: string;
  registry: string;
  repo: string;
  createdAt: string;
  /**
   * The family folder, portable between checkouts: relative to the root of the git repository
   * that holds it, or `package:<folder>` for one inside mesos-pipeline (`package:dockerfiles`, the
   * embedded family), or absolute outside any repository. Absolute once applied.
   */
  imagesDir: string;
  branches: PlannedBranch[];
}

export interface PlanInput {
  /** The run's UTC day, fixed once per run. */
  date: string;
  /** The run's start instant, ISO 8601 UTC; becomes org.opencontainers.image.created. */
  createdAt: string;
  repo: string;
  registry: RegistryTarget;
  family: Family;
  /** How the plan names the family folder (plan-paths.ts `portableImagesDir`). */
  imagesDir: string;
  branches: readonly EligibleBranch[];
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function versionPatternOf(branch: string, releaseTag?: string): string {
  if (releaseTag) return escapeRegex(releaseTag);
  const release = RELEASE_BRANCH.exec(branch);
  if (release) return `${release[1]}\\.${release[2]}\\.\\d+`;
  return '\\d+\\.\\d+\\.\\d+';
}

export function makePlan(input: PlanInput): Plan {
  const branches = input.branches.map((resolved): PlannedBranch => {
    const version = resolved.releaseTag ?? resolved.branch;
    const tags = computeTags({ branch: resolved.branch, day: input.date, versionTag: resolved.releaseTag });
    const images = input.family.images.map((image): PlannedImage => ({
      name: image.name,
      ...(image.base ? { base: image.base } : {}),
      context: planContext(input.family, image.context),
      tags: mapTagSet(tags, (tag) => formatImageRef(imageRef(input.registry, image.name, tag))),
      ...(image.platforms ? { platforms: [...image.platforms] } : {}),
      buildArgs: { GIT_REPO: input.repo, GIT_SHA: resolved.sha, GIT_BRANCH: resolved.branch, VERSION: version },
      labels: {
        'org.opencontainers.image.title': image.name,
        'org.opencontainers.image.source': input.repo,
        'org.opencontainers.image.revision': resolved.sha,
        'org.opencontainers.image.version': version,
        'org.opencontainers.image.ref.name': resolved.branch,
        'org.opencontainers.image.created': input.createdAt,
      },
    }));
    return {
      branch: resolved.branch,
      sha: resolved.sha,
      ...(resolved.releaseTag ? { releaseTag: resolved.releaseTag } : {}),
      version,
      versionPattern: versionPatternOf(resolved.branch, resolved.releaseTag),
      host: branchHost(combineNeeds(input.family.images.map((image) => imageNeeds(image.host, resolved.branch)))),
      images,
    };
  });
  return {
    version: PLAN_VERSION,
    date: input.date,
    registry: formatRegistryTarget(input.registry),
    repo: input.repo,
    createdAt: input.createdAt,
    imagesDir: input.imagesDir,
    branches,
  };
}
