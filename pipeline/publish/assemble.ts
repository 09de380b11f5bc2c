import { BranchFailure, errorMessage, WorkError } from '../errors.js';
import type { PlannedBranch, PlannedImage } from '../plan/plan.js';
import type { Manifest, Registry } from '../ports.js';
import { parseImageRef } from '../../tags/index.js';
import { platformsOf, type AssembledBranch, type AssembledImage } from './assemble-plan.js';
import type { PublishDeps } from './context.js';
import type { IndexEntry } from './image-index.js';
import { pushBranch, type BranchPush, type Source } from './push.js';
import type { BranchReport, Failure, ImageReport } from './report.js';
import { deleteStagingTags } from './stage.js';

const REVISION = 'org.opencontainers.image.revision';

/**
 * A staged platform manifest, read by digest and checked before an index names it: it is there,
 * it is of that platform, and it was built from the branch's commit. A stage report is an artifact
 * of another job: what it says is checked against the registry, not trusted.
 */
async function stagedManifest(
  registry: Registry,
  image: PlannedImage,
  sha: string,
  platform: string,
  digest: string,
): Promise<Manifest> {
  const { repository } = parseImageRef(image.tags.dated);
  const where = `${registry.host}/${repository}@${digest} (${platform})`;
  const manifest = await registry.getManifest(repository, digest);
  if (!manifest) throw new BranchFailure('assemble', image.name, `${where} is not in the registry`);
  const config = (JSON.parse(manifest.bytes.toString('utf8')) as { config?: { digest?: string } }).config?.digest;
  if (!config) throw new BranchFailure('assemble', image.name, `${where} is ${manifest.mediaType}, not an image`);
  const blob = JSON.parse((await registry.getBlob(repository, config)).toString('utf8')) as {
    os?: string;
    architecture?: string;
    variant?: string;
    config?: { Labels?: Record<string, string> | null };
  };
  // linux/arm64 names no variant; an arm64 config may carry v8 all the same.
  const named = platform.split('/').length;
  const actual = [blob.os, blob.architecture, blob.variant].filter(Boolean).slice(0, Math.max(2, named)).join('/');
  if (actual !== platform)
    throw new BranchFailure('assemble', image.name, `${where} is an image of ${actual}, not of ${platform}`);
  const revision = blob.config?.Labels?.[REVISION];
  if (revision !== sha)
    throw new BranchFailure(
      'assemble',
      image.name,
      `${where} was built from ${revision ?? 'an unknown revision'}, not from ${sha}`,
    );
  return manifest;
}

async function sourceOf(
  registry: Registry,
  image: PlannedImage,
  sha: string,
  assembled: AssembledImage,
): Promise<Source> {
  const { repository } = parseImageRef(image.tags.dated);
  if (assembled.reuseIndex) {
    const manifest = await registry.getManifest(repository, assembled.reuseIndex);
    if (!manifest)
      throw new BranchFailure('assemble', image.name, `${repository}@${assembled.reuseIndex} is no longer published`);
    return { kind: 'reused', manifest };
  }
  const entries: IndexEntry[] = [];
  for (const staged of assembled.platforms)
    entries.push({
      platform: staged.platform,
      manifest: await stagedManifest(registry, image, sha, staged.platform, staged.digest),
    });
  return { kind: 'staged', entries };
}

/**
 * `publish --assemble` for one branch: the index of each image from its stage jobs' platform
 * manifests goes under the dated tag, then the other tags move, read back, rolled back on any
 * failure, by the one push of every publish (push.ts). Nothing is built and no blob moves. The
 * branch's staging tags are deleted at the end, whatever happened. Throws nothing a branch could
 * fail with; returns its report.
 */
export async function assembleBranch(
  branch: PlannedBranch,
  assembled: AssembledBranch,
  stages: readonly { platform: string; report?: BranchReport | undefined }[],
  deps: PublishDeps,
  push: boolean,
): Promise<BranchReport> {
  const started = deps.clock.now().getTime();
  const log = deps.log.child(branch.branch);
  let failure: Failure | undefined = assembled.failure;
  let pushed: BranchPush | undefined;
  if (!failure && push) {
    try {
      if (!deps.registry) throw new WorkError('registry', 'assembling needs a registry client');
      const registry = deps.registry;
      const sources = new Map<string, Source>();
      for (const image of branch.images) {
        const found = assembled.images.find((candidate) => candidate.name === image.name);
        if (!found) throw new BranchFailure('assemble', image.name, `nothing staged for ${image.name}`);
        sources.set(image.name, await sourceOf(registry, image, branch.sha, found));
      }
      pushed = await log.group('push', (child) => pushBranch(branch, sources, { ...deps, log: child }));
      if (pushed.failure !== undefined) failure = failureOf(pushed.failure);
    } catch (error) {
      failure = failureOf(error);
    }
  }
  if (push && deps.registry && assembled.staging.length > 0) {
    const lines = await deleteStagingTags(assembled.staging, deps.registry, deps);
    for (const line of lines) log.debug(line);
  }
  const images = branch.images.map((image) => imageReport(image, assembled, stages, pushed, failure, push));
  let status: BranchReport['status'];
  if (failure) status = deps.signal.aborted ? 'interrupted' : 'failed';
  else if (!push) status = 'tested';
  else status = images.every((image) => image.status === 'unchanged') ? 'unchanged' : 'published';
  const report: BranchReport = {
    branch: branch.branch,
    sha: branch.sha,
    version: branch.version,
    status,
    durationMs: deps.clock.now().getTime() - started,
    images,
    ...(failure ? { failure } : {}),
    ...(pushed?.rollback ? { rollback: pushed.rollback } : {}),
  };
  if (failure) {
    const where = `${failure.step}${failure.image ? ` (${failure.image})` : ''}`;
    log.error(`FAILED at ${where}: ${failure.message}`);
    log.annotateError(`${branch.branch} failed at ${where}`, failure.message);
  } else log.info(status);
  return report;
}

function failureOf(error: unknown): Failure {
  return {
    step: error instanceof WorkError ? error.step : 'internal',
    ...(error instanceof BranchFailure && error.image ? { image: error.image } : {}),
    message: errorMessage(error),
  };
}

/** The image as the branch's report shows it: the stage jobs' builds and tests, and the push. */
function imageReport(
  image: PlannedImage,
  assembled: AssembledBranch,
  stages: readonly { platform: string; report?: BranchReport | undefined }[],
  pushed: BranchPush | undefined,
  failure: Failure | undefined,
  push: boolean,
): ImageReport {
  const staged = platformsOf(image).map((platform) => ({
    platform,
    image: stages
      .find((stage) => stage.platform === platform)
      ?.report?.images.find((candidate) => candidate.name === image.name),
  }));
  const result = pushed?.images.find((candidate) => candidate.name === image.name);
  const reuse = assembled.images.find((candidate) => candidate.name === image.name)?.reuseIndex;
  const passed = staged.every(({ image: one }) => one?.smoke?.every((test) => test.ok) ?? one?.status === 'unchanged');
  let status: ImageReport['status'];
  if (failure?.image === image.name) status = 'failed';
  else if (result && !failure) status = reuse ? 'unchanged' : 'pushed';
  else if (staged.some(({ image: one }) => one?.status === 'failed')) status = 'failed';
  else if (staged.every(({ image: one }) => one?.imageId)) status = passed ? 'tested' : 'built';
  else status = failure ? 'skipped' : 'planned';
  if (!push && status === 'planned' && staged.every(({ image: one }) => one?.status === 'unchanged'))
    status = 'unchanged';
  const sum = (pick: (one: ImageReport) => number | undefined): number | undefined => {
    const values = staged.map(({ image: one }) => (one ? pick(one) : undefined)).filter((v) => v !== undefined);
    return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0);
  };
  const buildMs = sum((one) => one.durations.buildMs);
  const smokeMs = sum((one) => one.durations.smokeMs);
  const smoke = staged.flatMap(({ image: one }) => one?.smoke ?? []);
  const first = staged[0]?.image;
  return {
    name: image.name,
    status,
    ...(first?.imageId ? { imageId: first.imageId } : {}),
    ...(result ? { digest: result.digest } : {}),
    tags: result?.tags ?? [],
    ...(reuse ? { reusedDigest: reuse } : {}),
    ...(first?.reason ? { reason: first.reason } : {}),
    durations: {
      ...(buildMs !== undefined ? { buildMs } : {}),
      ...(smokeMs !== undefined ? { smokeMs } : {}),
      ...(result ? { pushMs: result.pushMs } : {}),
    },
    ...(smoke.length > 0 ? { smoke } : {}),
    ...(image.platforms
      ? {
          platforms: staged.map(({ platform, image: one }) => {
            const entry = one?.platforms?.find((candidate) => candidate.platform === platform);
            const digest = result
              ? (result.platforms?.find((candidate) => candidate.platform === platform)?.digest ??
                assembled.images
                  .find((candidate) => candidate.name === image.name)
                  ?.platforms.find((candidate) => candidate.platform === platform)?.digest)
              : undefined;
            return {
              platform,
              ...(entry?.imageId ? { imageId: entry.imageId } : {}),
              ...(digest ? { digest } : {}),
              ...(entry?.passed !== undefined ? { passed: entry.passed } : {}),
            };
          }),
        }
      : {}),
  };
}
