import { InputError } from '../errors.js';
import type { Plan, PlannedBranch, PlannedImage } from '../plan/plan.js';
import type { BranchReport, Failure, ImageReport, RunReport } from './report.js';

// The pure half of `publish --assemble`: from the plan and the reports of its stage jobs (one per
// platform), what goes under each image's tags. JSON all through; --dry-run prints it.

export const ASSEMBLE_PLAN_VERSION = 1;

/** One platform of an image as its stage job left it. */
export interface StagedPlatform {
  platform: string;
  /** The platform manifest: pushed by the stage job, or the published one it reused. */
  digest: string;
  /** The staging tag it is under (absent: reused, it is named by the published index). */
  staged?: string;
  imageId?: string;
}

export interface AssembledImage {
  name: string;
  /** One entry per planned platform, in the plan's order; an image without platforms has one, linux/amd64. */
  platforms: StagedPlatform[];
  /** Every platform reused the same published index: re-tag it, put no new one. */
  reuseIndex?: string;
}

export interface AssembledBranch {
  branch: string;
  sha: string;
  /** What to publish; empty when a platform did not pass (then `failure` says which). */
  images: AssembledImage[];
  /** Every staging tag of the branch's stage jobs: deleted once the branch is published or failed. */
  staging: string[];
  /** The first platform that did not pass, as its stage job reported it; nothing of the branch moves. */
  failure?: Failure;
}

export interface AssemblePlan {
  version: typeof ASSEMBLE_PLAN_VERSION;
  date: string;
  registry: string;
  branches: AssembledBranch[];
}

/** The platforms a planned image is published for: an image without platforms is one linux/amd64 image. */
export const platformsOf = (image: PlannedImage): string[] => image.platforms ?? ['linux/amd64'];

function branchPlatforms(branch: PlannedBranch): string[] {
  const platforms: string[] = [];
  for (const image of branch.images)
    for (const platform of platformsOf(image)) if (!platforms.includes(platform)) platforms.push(platform);
  return platforms;
}

/** Per platform of the branch, its stage job's report of the branch (absent: no report came). */
export function stageReportsOf(
  branch: PlannedBranch,
  reports: readonly { report: RunReport }[],
): { platform: string; report?: BranchReport | undefined }[] {
  return branchPlatforms(branch).map((platform) => ({
    platform,
    report: reports
      .find(
        ({ report }) => report.stage?.platform === platform && report.branches.some((b) => b.branch === branch.branch),
      )
      ?.report.branches.find((candidate) => candidate.branch === branch.branch),
  }));
}

/** Refuses reports that are not stage reports of this plan: a mix-up, not a failed build. */
function checkReports(plan: Plan, reports: readonly { file: string; report: RunReport }[]): void {
  const seen = new Map<string, string>();
  for (const { file, report } of reports) {
    if (!report.stage)
      throw new InputError(`${file}: not a stage report; give the --report files of publish --stage runs`);
    if (report.date !== plan.date || report.registry !== plan.registry)
      throw new InputError(
        `${file}: a stage report for ${report.registry} on ${report.date}, but the plan publishes to ` +
          `${plan.registry} on ${plan.date}; give the reports of the stage jobs of this plan`,
      );
    for (const branch of report.branches) {
      const planned = plan.branches.find((candidate) => candidate.branch === branch.branch);
      if (planned && planned.sha !== branch.sha)
        throw new InputError(
          `${file}: ${branch.branch} was staged at ${branch.sha.slice(0, 12)}, but the plan has ` +
            `${planned.sha.slice(0, 12)}; give the reports of the stage jobs of this plan`,
        );
      const key = `${branch.branch} ${report.stage.platform}`;
      const other = seen.get(key);
      if (other)
        throw new InputError(
          `${file}: ${key} is staged in ${other} too; give one stage report per branch and platform`,
        );
      seen.set(key, file);
    }
  }
}

function platformFailure(platform: string, report: BranchReport | undefined): Failure | undefined {
  if (!report)
    return {
      step: 'stage',
      message: `${platform}: no stage report for this branch (its build job failed early, was cancelled or never ran)`,
    };
  if (report.status === 'tested' || report.status === 'unchanged') return undefined;
  const failure = report.failure;
  if (!failure) return { step: 'stage', message: `${platform}: the stage job ended ${report.status}` };
  return {
    ...failure,
    message: failure.message.startsWith(platform) ? failure.message : `${platform}: ${failure.message}`,
  };
}

/** What one image's platform is, per its stage report; a string says what is wrong. */
function stagedPlatform(platform: string, image: ImageReport | undefined, push: boolean): StagedPlatform | string {
  if (!image) return `${platform}: the stage report does not name it`;
  const entry = image.platforms?.find((candidate) => candidate.platform === platform);
  const digest = entry?.digest ?? image.digest;
  if (!push) return { platform, digest: digest ?? '', ...(image.imageId ? { imageId: image.imageId } : {}) };
  if (image.status === 'unchanged' && digest) return { platform, digest };
  if (image.status === 'pushed' && digest && image.tags[0])
    return { platform, digest, staged: image.tags[0], ...(image.imageId ? { imageId: image.imageId } : {}) };
  return `${platform}: it was ${image.status}, not staged`;
}

/**
 * The assemble plan: per branch of `plan`, each image's platform manifests from the stage report
 * of each platform, or the failure of the first platform that did not pass (then nothing of the
 * branch is published). `push` false (--no-push): the stage jobs only tested, there is nothing to
 * assemble but the outcome. Throws InputError for reports that do not belong to the plan.
 */
export function assemblePlan(
  plan: Plan,
  reports: readonly { file: string; report: RunReport }[],
  push: boolean,
): AssemblePlan {
  checkReports(plan, reports);
  const branches = plan.branches.map((branch): AssembledBranch => {
    const perPlatform = stageReportsOf(branch, reports);
    const staging = perPlatform.flatMap(({ report }) =>
      (report?.images ?? []).flatMap((image) => (image.status === 'pushed' ? image.tags : [])),
    );
    const base = { branch: branch.branch, sha: branch.sha, staging };
    for (const { platform, report } of perPlatform) {
      const failure = platformFailure(platform, report);
      if (failure) return { ...base, images: [], failure };
    }
    const images: AssembledImage[] = [];
    for (const image of branch.images) {
      const platforms: StagedPlatform[] = [];
      for (const platform of platformsOf(image)) {
        const report = perPlatform.find((candidate) => candidate.platform === platform)?.report;
        const staged = stagedPlatform(
          platform,
          report?.images.find((candidate) => candidate.name === image.name),
          push,
        );
        if (typeof staged === 'string')
          return { ...base, images: [], failure: { step: 'stage', image: image.name, message: staged } };
        platforms.push(staged);
      }
      const reused = platformsOf(image).map((platform) => {
        const report = perPlatform.find((candidate) => candidate.platform === platform)?.report;
        const found = report?.images.find((candidate) => candidate.name === image.name);
        return found?.status === 'unchanged' ? found.reusedDigest : undefined;
      });
      const [first] = reused;
      const reuseIndex = push && first && reused.every((digest) => digest === first) ? first : undefined;
      images.push({ name: image.name, platforms, ...(reuseIndex ? { reuseIndex } : {}) });
    }
    return { ...base, images };
  });
  return { version: ASSEMBLE_PLAN_VERSION, date: plan.date, registry: plan.registry, branches };
}
