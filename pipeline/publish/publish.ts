import pLimit, { type LimitFunction } from 'p-limit';
import { BranchFailure, errorMessage, PipelineError, TimeLimitError, WorkError } from '../errors.js';
import type { Plan, PlannedBranch, PlannedImage } from '../plan/plan.js';
import { buildAndTestBranch, type BranchBuild, type BuiltImage, type TestedImage } from './branch-build.js';
import type { PublishDeps, PublishOptions, RunShared } from './context.js';
import { decide } from './decide.js';
import { pullReusedBases, removeLocalImages } from './local-images.js';
import { pushBranch, type BranchPush, type PushedImage, type Source } from './push.js';
import type { Decision } from './reuse.js';
import { narrowBranch, narrowDecisions, reusedPlatformDigest, stageBranch } from './stage.js';
import {
  REPORT_VERSION,
  TIME_LIMIT_STEP,
  type BranchReport,
  type Failure,
  type ImageReport,
  type RunReport,
} from './report.js';

// Pushes are network-bound and overlap with the next branch's build; a few at once keep the
// uplink busy without flooding the registry.
const PUSH_CONCURRENCY = 3;
// Deciding reads a few manifests and configs per branch: cheap, and never worth a build slot.
const DECIDE_CONCURRENCY = 4;

interface Lanes {
  decide: LimitFunction;
  build: LimitFunction;
  push: LimitFunction;
}

/** Everything that happened to one branch: what its report is made of. */
interface BranchOutcome {
  decisions: ReadonlyMap<string, Decision>;
  build: BranchBuild;
  push: BranchPush | undefined;
  /** What stopped the branch, if anything did. */
  failure: unknown;
  /** The run's signal had come when the branch stopped. */
  interrupted: boolean;
  durationMs: number;
}

/**
 * One branch from start to end. Decide what is unchanged (reuse it), build and smoke-test the
 * rest, and, only if all passed, push. A failing branch stops alone; the stages return what they
 * did, and the branch's report is made of that, here and nowhere else.
 */
async function publishBranch(
  branch: PlannedBranch,
  deps: PublishDeps,
  options: PublishOptions,
  shared: RunShared,
  lanes: Lanes,
): Promise<BranchReport> {
  const startedAt = deps.clock.now().getTime();
  let decisions: ReadonlyMap<string, Decision> = new Map();
  let bases: ReadonlyMap<string, BuiltImage> = new Map();
  let build: BranchBuild = { images: [] };
  let push: BranchPush | undefined;
  let failure: unknown;
  try {
    // Deciding is outside the build lane: an unchanged branch is re-tagged at once, and a moved
    // one does not queue behind other branches' registry reads before its build can start.
    decisions = await lanes.decide(async () => {
      deps.signal.throwIfAborted();
      // Under GitHub Actions each stage folds into a group: `[1.11.x] published images`, `... push`.
      return options.push
        ? await deps.log.child(branch.branch).group('published images', () => decide(branch, deps, options, shared))
        : new Map<string, Decision>();
    });
    // A stage job (publish --stage) builds one platform of each image, decided on the whole index.
    const stage = options.stage;
    const building = stage ? narrowBranch(branch, stage.platform) : branch;
    const decided = stage ? narrowDecisions(decisions, stage.platform) : decisions;
    const reused = reusedOf(decided);
    if (building.images.some((image) => !reused.has(image.name)))
      await lanes.build(async () => {
        deps.signal.throwIfAborted();
        bases = await pullReusedBases(building, decided, deps);
        build = await buildAndTestBranch(building, deps, shared, bases, reused, freshOf(decided));
      });
    failure = build.failure;
    if (failure === undefined && options.push && stage) {
      push = await lanes.push(() =>
        deps.log.child(branch.branch).group('stage', () => stagePush(building, build, decisions, stage, deps)),
      );
      failure = push.failure;
    } else if (failure === undefined && options.push) {
      // The next branch builds meanwhile: the build lane is free again.
      push = await lanes.push(() =>
        deps.log
          .child(branch.branch)
          .group('push', (log) => pushBranch(branch, sourcesOf(branch, decisions, build), { ...deps, log })),
      );
      failure = push.failure;
    }
  } catch (error) {
    failure = error;
  }
  const interrupted = failure !== undefined && deps.signal.aborted;
  if (!options.keep) await removeLocalImages(branch, [...bases.values(), ...build.images], deps);
  const durationMs = deps.clock.now().getTime() - startedAt;
  const report = branchReport(branch, options, { decisions, build, push, failure, interrupted, durationMs }, deps);
  logOutcome(report, deps);
  return report;
}

/**
 * A stage job's push: each built image of one platform under its run-scoped staging tag; a reused
 * image is named by its published manifest of that platform, for the assemble job.
 */
async function stagePush(
  building: PlannedBranch,
  build: BranchBuild,
  decisions: ReadonlyMap<string, Decision>,
  stage: NonNullable<PublishOptions['stage']>,
  deps: PublishDeps,
): Promise<BranchPush> {
  const push = await stageBranch(building, build, stage, deps);
  if (push.failure !== undefined) return push;
  for (const image of building.images) {
    const decision = decisions.get(image.name);
    const digest = decision ? reusedPlatformDigest(decision, stage.platform) : undefined;
    if (digest)
      push.images.push({
        name: image.name,
        digest,
        pushMs: 0,
        tags: [],
        ...(image.platforms ? { platforms: [{ platform: stage.platform, digest }] } : {}),
      });
  }
  return push;
}

/** Images to rebuild for their age: every step runs again, the build cache holds the old layers. */
function freshOf(decisions: ReadonlyMap<string, Decision>): Set<string> {
  return new Set([...decisions].filter(([, d]) => d.action === 'build' && d.noCache).map(([name]) => name));
}

/**
 * Carries out a plan: every branch as above, `concurrency` of them building at once. Every
 * container the run started is removed at the end, whatever happened.
 */
export async function publish(
  plan: Plan,
  deps: PublishDeps,
  options: PublishOptions,
  shared: RunShared,
  runId: string,
): Promise<RunReport> {
  const started = deps.clock.now();
  const lanes: Lanes = {
    decide: pLimit(DECIDE_CONCURRENCY),
    build: pLimit(Math.max(1, options.concurrency)),
    push: pLimit(PUSH_CONCURRENCY),
  };
  let branches: BranchReport[];
  try {
    branches = await Promise.all(plan.branches.map((branch) => publishBranch(branch, deps, options, shared, lanes)));
  } finally {
    await deps.containers
      .removeAll()
      .catch((error: unknown) => deps.log.warn(`could not remove every container of the run: ${errorMessage(error)}`));
  }
  const finished = deps.clock.now();
  const failed = branches.some((report) => report.status === 'failed' || report.status === 'interrupted');
  return {
    version: REPORT_VERSION,
    command: 'publish',
    runId,
    date: plan.date,
    registry: plan.registry,
    repo: plan.repo,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    status: deps.signal.aborted ? 'interrupted' : failed ? 'failed' : 'success',
    ...(options.stage ? { stage: { platform: options.stage.platform, id: options.stage.id } } : {}),
    options: {
      push: options.push,
      force: options.force,
      keep: options.keep,
      compileCache: shared.compileCache ?? true,
      rebuildAfterMs: options.rebuildAfterMs,
    },
    branches,
  };
}

/** The exit code of a finished run: 0, 1 for a failed branch, the signal's code when interrupted. */
export function runExitCode(report: RunReport, signal: AbortSignal): number {
  if (report.status === 'interrupted') return signal.reason instanceof PipelineError ? signal.reason.exitCode : 130;
  return report.status === 'success' ? 0 : 1;
}

function reusedOf(decisions: ReadonlyMap<string, Decision>): Set<string> {
  return new Set([...decisions].filter(([, decision]) => decision.action === 'reuse').map(([name]) => name));
}

function sourcesOf(
  branch: PlannedBranch,
  decisions: ReadonlyMap<string, Decision>,
  build: BranchBuild,
): Map<string, Source> {
  const sources = new Map<string, Source>();
  for (const image of branch.images) {
    const decision = decisions.get(image.name);
    const built = build.images.find((candidate) => candidate.name === image.name);
    if (decision?.action === 'reuse')
      sources.set(image.name, { kind: 'reused', manifest: decision.published.manifest });
    else if (built) sources.set(image.name, { kind: 'built', image: built });
  }
  return sources;
}

function failureOf(failure: unknown, interrupted: boolean, signal: AbortSignal): Failure {
  if (interrupted)
    return {
      step: signal.reason instanceof TimeLimitError ? TIME_LIMIT_STEP : 'interrupted',
      message: errorMessage(signal.reason),
    };
  const branchFailure = failure instanceof BranchFailure ? failure : undefined;
  return {
    step: failure instanceof WorkError ? failure.step : 'internal',
    ...(branchFailure?.image ? { image: branchFailure.image } : {}),
    message: errorMessage(failure),
    ...(branchFailure?.tests ? { tests: branchFailure.tests } : {}),
    ...(branchFailure?.logTail ? { logTail: branchFailure.logTail } : {}),
  };
}

function imageReport(image: PlannedImage, outcome: BranchOutcome, failed: string | undefined): ImageReport {
  const decision = outcome.decisions.get(image.name);
  const reused = decision?.action === 'reuse' ? decision : undefined;
  const built = outcome.build.images.find((candidate) => candidate.name === image.name);
  const pushed = outcome.push?.images.find((candidate) => candidate.name === image.name);
  const passed = built?.smoke?.every((test) => test.ok) ?? false;
  let status: ImageReport['status'];
  if (failed === image.name) status = 'failed';
  else if (reused) status = 'unchanged';
  else if (pushed && outcome.failure === undefined) status = 'pushed';
  else if (built) status = passed ? 'tested' : 'built';
  else status = outcome.failure === undefined ? 'planned' : 'skipped';
  return {
    name: image.name,
    status,
    ...(built ? { imageId: built.imageId } : {}),
    ...(pushed ? { digest: pushed.digest } : {}),
    tags: pushed?.tags ?? [],
    ...(reused ? { reusedDigest: reused.published.manifest.digest } : {}),
    ...(decision ? { reason: decision.reason } : {}),
    durations: {
      ...(built ? { buildMs: built.buildMs } : {}),
      ...(built?.smokeMs !== undefined ? { smokeMs: built.smokeMs } : {}),
      ...(pushed ? { pushMs: pushed.pushMs } : {}),
    },
    ...(built?.smoke ? { smoke: built.smoke } : {}),
    ...(image.platforms ? { platforms: platformReports(image.platforms, built, pushed) } : {}),
  };
}

function platformReports(
  platforms: readonly string[],
  built: TestedImage | undefined,
  pushed: PushedImage | undefined,
): NonNullable<ImageReport['platforms']> {
  return platforms.map((platform) => {
    const local = built?.platforms?.find((candidate) => candidate.platform === platform);
    const remote = pushed?.platforms?.find((candidate) => candidate.platform === platform);
    return {
      platform,
      ...(local ? { imageId: local.imageId } : {}),
      ...(remote ? { digest: remote.digest } : {}),
      ...(local?.smoke ? { passed: local.smoke.every((outcome) => outcome.ok) } : {}),
    };
  });
}

function branchReport(
  branch: PlannedBranch,
  options: PublishOptions,
  outcome: BranchOutcome,
  deps: PublishDeps,
): BranchReport {
  const failure =
    outcome.failure === undefined ? undefined : failureOf(outcome.failure, outcome.interrupted, deps.signal);
  const images = (options.stage ? narrowBranch(branch, options.stage.platform) : branch).images.map((image) =>
    imageReport(image, outcome, outcome.interrupted ? undefined : failure?.image),
  );
  let status: BranchReport['status'];
  if (failure) status = outcome.interrupted ? 'interrupted' : 'failed';
  else if (!options.push) status = 'tested';
  else if (options.stage) status = images.every((image) => image.status === 'unchanged') ? 'unchanged' : 'tested';
  else status = images.every((image) => image.status === 'unchanged') ? 'unchanged' : 'published';
  return {
    branch: branch.branch,
    sha: branch.sha,
    version: branch.version,
    status,
    durationMs: outcome.durationMs,
    images,
    ...(failure ? { failure } : {}),
    ...(outcome.push?.rollback ? { rollback: outcome.push.rollback } : {}),
  };
}

function logOutcome(report: BranchReport, deps: PublishDeps): void {
  const log = deps.log.child(report.branch);
  const took = `${(report.durationMs / 1000).toFixed(1)}s`;
  const failure = report.failure;
  if (report.status === 'failed' && failure) {
    const where = `${failure.step}${failure.image ? ` (${failure.image})` : ''}`;
    log.error(`FAILED at ${where} after ${took}: ${failure.message}`);
    log.annotateError(`${report.branch} failed at ${where}`, failure.message);
  } else if (failure?.step === TIME_LIMIT_STEP) {
    log.error(`CUT OFF BY TIME after ${took}: ${failure.message}`);
    log.annotateError(`${report.branch} cut off by time`, `${failure.message}, after ${took}`);
  } else log.info(`${report.status} in ${took}`);
}
