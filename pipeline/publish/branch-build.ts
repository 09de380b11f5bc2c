import { errorMessage, WorkError } from '../errors.js';
import { LineTail, type Logger } from '../log.js';
import type { PlannedBranch, PlannedImage } from '../plan/plan.js';
import { runSmokeTests } from '../smoke/run-smoke.js';
import { expand, type TemplateValues } from '../smoke/template.js';
import type { PublishDeps, RunShared } from './context.js';
import { BASE_IMAGE_LABEL, INPUTS_LABEL, RUN_LABEL, inputsDigest } from './inputs.js';
import type { BranchReport, ImageReport } from './report.js';

/** An image built and smoke-tested in this run, ready to push. */
export interface BuiltImage {
  name: string;
  imageId: string;
  inputs: string;
}

export interface TestedBranch {
  branch: PlannedBranch;
  report: BranchReport;
  built: Map<string, BuiltImage>;
  startedAt: number;
}

/** Thrown inside a branch to stop it with a reportable failure. */
export class BranchFailure extends WorkError {
  readonly image: string | undefined;
  readonly tests: string[] | undefined;
  readonly logTail: string[] | undefined;
  constructor(
    step: string,
    image: string | undefined,
    message: string,
    extra: { tests?: string[]; logTail?: string[]; cause?: unknown } = {},
  ) {
    super(step, message, { cause: extra.cause });
    this.image = image;
    this.tests = extra.tests;
    this.logTail = extra.logTail;
  }
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

export function newBranchReport(branch: PlannedBranch): BranchReport {
  return {
    branch: branch.branch,
    sha: branch.sha,
    version: branch.version,
    status: 'planned',
    durationMs: 0,
    images: branch.images.map((image): ImageReport => ({
      name: image.name,
      status: 'planned',
      tags: [],
      durations: {},
    })),
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

async function buildImage(
  image: PlannedImage,
  branch: PlannedBranch,
  built: Map<string, BuiltImage>,
  deps: PublishDeps,
  shared: RunShared,
  log: Logger,
  report: ImageReport,
): Promise<BuiltImage> {
  const base = image.base ? built.get(image.base) : undefined;
  if (image.base && !base) throw new BranchFailure('build', image.name, `base image ${image.base} was not built`);
  const inputs = inputsDigest(image, await shared.contextDigest(image.name, image.context), base?.inputs);
  const buildArgs = { ...image.buildArgs, ...(base ? { BASE_IMAGE: base.imageId } : {}) };
  const labels = {
    ...image.labels,
    [INPUTS_LABEL]: inputs,
    ...(base ? { [BASE_IMAGE_LABEL]: base.imageId } : {}),
    ...(shared.runId ? { [RUN_LABEL]: shared.runId } : {}),
  };
  const tail = new LineTail(40);
  const started = deps.clock.now().getTime();
  log.info(
    `building from ${image.context} at ${branch.sha.slice(0, 12)}${base ? ` on ${base.imageId.slice(0, 19)}` : ''}`,
  );
  let imageId: string;
  try {
    imageId = await deps.engine.build(
      { context: image.context, buildArgs, labels },
      (line) => {
        tail.push(line);
        if (/^Step \d+\/\d+ :/.test(line)) log.info(line);
        else log.detail(line);
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
  report.durations.buildMs = deps.clock.now().getTime() - started;
  report.imageId = imageId;
  report.status = 'built';
  log.info(`built ${imageId.slice(0, 19)} in ${seconds(report.durations.buildMs)}`);
  return { name: image.name, imageId, inputs };
}

async function smokeTest(
  image: PlannedImage,
  branch: PlannedBranch,
  builtImage: BuiltImage,
  deps: PublishDeps,
  shared: RunShared,
  log: Logger,
  report: ImageReport,
): Promise<void> {
  const spec = shared.smokeSpecs.get(image.name);
  if (!spec) throw new BranchFailure('smoke', image.name, `no smoke spec for ${image.name}`);
  const details = await deps.engine.inspectImage(builtImage.imageId);
  if (!details)
    throw new BranchFailure('smoke', image.name, `the image ${builtImage.imageId} just built is gone from the engine`);
  const started = deps.clock.now().getTime();
  log.info('smoke-testing');
  const result = await runSmokeTests(expand(spec, templateValues(branch, image)), details, {
    runtime: deps.containers,
    cgroups: deps.cgroups,
    clock: deps.clock,
    log,
    signal: deps.signal,
  });
  report.durations.smokeMs = deps.clock.now().getTime() - started;
  report.smoke = result.outcomes;
  if (!result.ok) {
    const failed = result.outcomes.filter((outcome) => !outcome.ok);
    const first = failed[0];
    throw new BranchFailure(
      'smoke',
      image.name,
      `${failed.length} smoke test${failed.length === 1 ? '' : 's'} failed: ${failed.map((f) => `"${f.name}"`).join(', ')}; first: ${first?.problems[0] ?? ''}`,
      {
        tests: failed.map((f) => f.name),
        logTail: failed.find((f) => f.logTail)?.logTail ?? [],
      },
    );
  }
  report.status = 'tested';
  log.info(`smoke tests passed (${result.outcomes.length}) in ${seconds(report.durations.smokeMs)}`);
}

/**
 * Builds every image of a branch in build order, each FROM the image its base just became, and
 * smoke-tests each right after its build, before anything is built on top of it.
 */
export async function buildAndTestBranch(
  branch: PlannedBranch,
  deps: PublishDeps,
  shared: RunShared,
  built: Map<string, BuiltImage>,
  report: BranchReport,
  reuse: ReadonlySet<string>,
): Promise<void> {
  for (const [index, image] of branch.images.entries()) {
    if (reuse.has(image.name)) continue;
    deps.signal.throwIfAborted();
    const log = deps.log.child(`${image.name}@${branch.branch}`);
    const imageReport = report.images[index] as ImageReport;
    // One group each under GitHub Actions: `[mesos-centos@1.11.x] build`, `... smoke test`.
    const builtImage = await log.group('build', (stage) =>
      buildImage(image, branch, built, deps, shared, stage, imageReport),
    );
    built.set(image.name, builtImage);
    await log.group('smoke test', (stage) => smokeTest(image, branch, builtImage, deps, shared, stage, imageReport));
  }
}
