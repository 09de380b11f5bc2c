import { createHash } from 'node:crypto';
import { BranchFailure, errorMessage } from '../errors.js';
import { LineTail, type Logger } from '../log.js';
import type { PlannedBranch, PlannedImage } from '../plan/plan.js';
import { runtimeFor } from '../smoke/platform-runtime.js';
import { runSmokeTests } from '../smoke/run-smoke.js';
import type { TestOutcome } from '../smoke/outcome.js';
import { expand, type TemplateValues } from '../smoke/template.js';
import type { PublishDeps, RunShared } from './context.js';
import { BASE_IMAGE_LABEL, INPUTS_LABEL, RUN_LABEL, inputsDigest } from './inputs.js';

/** One platform's image of a multi-platform image, as this run built and tested it. */
export interface PlatformImage {
  platform: string;
  imageId: string;
  /** Its inputs digest (its label): the image's inputs for this platform. */
  inputs: string;
  buildMs: number;
  smokeMs?: number;
  smoke?: TestOutcome[];
}

/** An image in the engine that a child can be built FROM: built in this run, or pulled by digest. */
export interface BuiltImage {
  name: string;
  /** The image ID; of a multi-platform image, its first platform's. */
  imageId: string;
  /**
   * Its inputs digest (its label), which a child's inputs include; of a multi-platform image, a
   * digest of all platforms'.
   */
  inputs: string;
  /** Of an image that declares platforms: each platform's image, in the plan's order. */
  platforms?: PlatformImage[];
}

/** An image this run built, and what its smoke tests said once they ran. */
export interface TestedImage extends BuiltImage {
  buildMs: number;
  /** Undefined when the tests did not run (the run was interrupted first). */
  smokeMs?: number;
  smoke?: TestOutcome[];
}

/** What building and testing a branch did, as far as it got. */
export interface BranchBuild {
  /** The images built, in build order, each with its smoke outcomes once tested. */
  images: TestedImage[];
  /** What stopped the branch: a BranchFailure, or the run's signal. Undefined: all built and passed. */
  failure?: unknown;
}

export function templateValues(branch: PlannedBranch, image: PlannedImage): TemplateValues {
  return {
    GIT_REPO: image.buildArgs.GIT_REPO ?? '',
    GIT_SHA: branch.sha,
    GIT_SHORT_SHA: branch.sha.slice(0, 12),
    GIT_BRANCH: branch.branch,
    VERSION: branch.version,
    VERSION_PATTERN: branch.versionPattern,
    IMAGE_NAME: image.name,
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

async function buildImage(
  image: PlannedImage,
  branch: PlannedBranch,
  base: BuiltImage | undefined,
  deps: PublishDeps,
  shared: RunShared,
  log: Logger,
  noCache: boolean,
  platform?: string,
): Promise<TestedImage> {
  if (image.base && !base) throw new BranchFailure('build', image.name, `base image ${image.base} was not built`);
  const inputs = inputsDigest(image, await shared.contextDigest(image.name, image.context), base?.inputs, platform);
  const buildArgs = { ...image.buildArgs, ...(base ? { BASE_IMAGE: base.imageId } : {}) };
  const labels = {
    ...image.labels,
    [INPUTS_LABEL]: inputs,
    ...(base ? { [BASE_IMAGE_LABEL]: base.imageId } : {}),
    // `clean --run` finds what a job made by this label.
    ...(shared.runId ? { [RUN_LABEL]: shared.runId } : {}),
  };
  const tail = new LineTail(40);
  const started = deps.clock.now().getTime();
  log.info(
    `building${platform ? ` for ${platform}` : ''} from ${image.context} at ${branch.sha.slice(0, 12)}` +
      `${base ? ` on ${base.imageId.slice(0, 19)}` : ''}` +
      `${noCache ? ', every step again (no build cache)' : ''}`,
  );
  let imageId: string;
  try {
    imageId = await deps.engine.build(
      {
        context: image.context,
        buildArgs,
        labels,
        baseImageId: base?.imageId,
        compileCache: shared.compileCache,
        noCache,
        ...(platform ? { platform } : {}),
      },
      (line) => {
        tail.push(line);
        // The engine's own output, `Step N/M` lines included, only with -v (and in log files):
        // by default each stage of an image is one line.
        log.detail(line);
      },
      deps.signal,
    );
  } catch (error) {
    if (deps.signal.aborted) throw error;
    throw new BranchFailure('build', image.name, `build failed: ${errorMessage(error)}`, {
      logTail: tail.toArray(),
      cause: error,
    });
  }
  const buildMs = deps.clock.now().getTime() - started;
  log.debug(`built ${imageId.slice(0, 19)} in ${seconds(buildMs)}`);
  return { name: image.name, imageId, inputs, buildMs };
}

/** Runs the image's smoke spec; returns the image with its outcomes, whether they passed or not. */
async function smokeTest(
  image: PlannedImage,
  branch: PlannedBranch,
  built: TestedImage,
  deps: PublishDeps,
  shared: RunShared,
  log: Logger,
  platform?: string,
): Promise<TestedImage> {
  const spec = shared.smokeSpecs.get(image.name);
  if (!spec) throw new BranchFailure('smoke', image.name, `no smoke spec for ${image.name}`);
  const started = deps.clock.now().getTime();
  let result: Awaited<ReturnType<typeof runSmokeTests>>;
  try {
    const details = await deps.engine.inspectImage(built.imageId);
    if (!details)
      throw new BranchFailure('smoke', image.name, `the image ${built.imageId} just built is gone from the engine`);
    log.debug(`smoke-testing${platform ? ` on ${platform}` : ''}`);
    result = await runSmokeTests(expand(spec, templateValues(branch, image)), details, {
      runtime: runtimeFor(deps.containers, platform),
      cgroups: deps.cgroups,
      clock: deps.clock,
      log,
      signal: deps.signal,
    });
  } catch (error) {
    // The engine's adapters do not know they serve a smoke test: this stage names the step.
    if (deps.signal.aborted || error instanceof BranchFailure) throw error;
    throw new BranchFailure('smoke', image.name, errorMessage(error), { cause: error });
  }
  const smokeMs = deps.clock.now().getTime() - started;
  if (result.ok) log.info(`smoke tests passed (${result.outcomes.length}) in ${seconds(smokeMs)}`);
  return { ...built, smokeMs, smoke: result.outcomes };
}

/** A platform's base: that platform's image of a multi-platform base, or a single base (linux/amd64). */
function baseFor(base: BuiltImage | undefined, platform: string): BuiltImage | undefined {
  if (!base?.platforms) return base;
  const match = base.platforms.find((candidate) => candidate.platform === platform);
  return match ? { name: base.name, imageId: match.imageId, inputs: match.inputs } : undefined;
}

/** The image of all platforms as one: summed durations, every outcome named after its platform. */
function combined(name: string, platforms: PlatformImage[]): TestedImage {
  const first = platforms[0];
  const tested = platforms.every((platform) => platform.smoke !== undefined);
  return {
    name,
    imageId: first?.imageId ?? '',
    inputs: `sha256:${createHash('sha256')
      .update(JSON.stringify(platforms.map((platform) => [platform.platform, platform.inputs])))
      .digest('hex')}`,
    buildMs: platforms.reduce((sum, platform) => sum + platform.buildMs, 0),
    ...(tested
      ? {
          smokeMs: platforms.reduce((sum, platform) => sum + (platform.smokeMs ?? 0), 0),
          smoke: platforms.flatMap((platform) =>
            (platform.smoke ?? []).map((outcome) => ({ ...outcome, name: `${platform.platform}: ${outcome.name}` })),
          ),
        }
      : {}),
    platforms,
  };
}

function smokeFailure(image: string, outcomes: readonly TestOutcome[], platform?: string): BranchFailure {
  const failed = outcomes.filter((outcome) => !outcome.ok);
  const names = failed.map((f) => `"${f.name}"`).join(', ');
  return new BranchFailure(
    'smoke',
    image,
    `${failed.length} smoke test${failed.length === 1 ? '' : 's'} failed${platform ? ` on ${platform}` : ''}: ` +
      `${names}; first: ${failed[0]?.problems[0] ?? ''}`,
    {
      tests: failed.map((f) => (platform ? `${platform}: ${f.name}` : f.name)),
      logTail: failed.find((f) => f.logTail)?.logTail ?? [],
    },
  );
}

/**
 * Builds every image of a branch in build order, each FROM the image its base just became (or the
 * published base in `bases`, pulled for it), and smoke-tests each right after its build, before
 * anything is built on top of it. Images in `reuse` are not built; those in `noCache` are built
 * without the build cache. Stops at the first failure and
 * returns what it did up to there: it throws nothing a branch could fail with.
 */
export async function buildAndTestBranch(
  branch: PlannedBranch,
  deps: PublishDeps,
  shared: RunShared,
  bases: ReadonlyMap<string, BuiltImage>,
  reuse: ReadonlySet<string>,
  noCache: ReadonlySet<string> = new Set(),
): Promise<BranchBuild> {
  const images: TestedImage[] = [];
  const available = new Map(bases);
  try {
    for (const image of branch.images) {
      if (reuse.has(image.name)) continue;
      deps.signal.throwIfAborted();
      const log = deps.log.child(`${image.name}@${branch.branch}`);
      const base = image.base ? available.get(image.base) : undefined;
      if (image.platforms) {
        const platforms: PlatformImage[] = [];
        // The image enters the branch's record once its first platform is built (a report never
        // shows an image without an ID).
        const at = images.length;
        const record = (): void => {
          images[at] = combined(image.name, platforms);
        };
        // Each platform is built and smoke-tested before the next: a failure on any stops the branch.
        for (const platform of image.platforms) {
          deps.signal.throwIfAborted();
          const built = await log.group(`build ${platform}`, (stage) =>
            buildImage(image, branch, baseFor(base, platform), deps, shared, stage, noCache.has(image.name), platform),
          );
          platforms.push({ platform, imageId: built.imageId, inputs: built.inputs, buildMs: built.buildMs });
          record();
          const tested = await log.group(`smoke test ${platform}`, (stage) =>
            smokeTest(image, branch, built, deps, shared, stage, platform),
          );
          platforms[platforms.length - 1] = {
            ...(platforms[platforms.length - 1] as PlatformImage),
            ...(tested.smokeMs !== undefined ? { smokeMs: tested.smokeMs } : {}),
            ...(tested.smoke ? { smoke: tested.smoke } : {}),
          };
          record();
          if (!tested.smoke?.every((outcome) => outcome.ok))
            throw smokeFailure(image.name, tested.smoke ?? [], platform);
        }
        available.set(image.name, images[at] as TestedImage);
        continue;
      }
      // One group each under GitHub Actions: `[mesos-centos@1.11.x] build`, `... smoke test`.
      const built = await log.group('build', (stage) =>
        buildImage(image, branch, base, deps, shared, stage, noCache.has(image.name)),
      );
      images.push(built);
      const tested = await log.group('smoke test', (stage) => smokeTest(image, branch, built, deps, shared, stage));
      images[images.length - 1] = tested;
      if (!tested.smoke?.every((outcome) => outcome.ok)) throw smokeFailure(image.name, tested.smoke ?? []);
      available.set(image.name, tested);
    }
    return { images };
  } catch (failure) {
    return { images, failure };
  }
}
