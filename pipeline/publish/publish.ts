import pLimit from 'p-limit';
import { errorMessage, PipelineError, TimeLimitError, WorkError } from '../errors.js';
import type { Plan, PlannedBranch } from '../plan/plan.js';
import { BranchFailure, buildAndTestBranch, newBranchReport, type BuiltImage } from './branch-build.js';
import type { PublishDeps, PublishOptions, RunShared } from './context.js';
import { INPUTS_LABEL } from './inputs.js';
import { engineOutput, pushBranch, snapshotBranch, type Snapshot, type Source } from './push.js';
import { decideReuse, expectedInputsOf, readPublished, type Decision } from './reuse.js';
import { REPORT_VERSION, TIME_LIMIT_STEP, type BranchReport, type RunReport } from './report.js';

// Pushes are network-bound and overlap with the next branch's build; a few at once keep the
// uplink busy without flooding the registry.
const PUSH_CONCURRENCY = 3;

function recordFailure(report: BranchReport, error: unknown, signal: AbortSignal): void {
  if (signal.aborted) {
    report.status = 'interrupted';
    report.failure = {
      step: signal.reason instanceof TimeLimitError ? TIME_LIMIT_STEP : 'interrupted',
      message: errorMessage(signal.reason),
    };
    return;
  }
  report.status = 'failed';
  const image = error instanceof BranchFailure ? error.image : undefined;
  report.failure = {
    step: error instanceof WorkError ? error.step : 'internal',
    ...(image ? { image } : {}),
    message: errorMessage(error),
    ...(error instanceof BranchFailure && error.tests ? { tests: error.tests } : {}),
    ...(error instanceof BranchFailure && error.logTail ? { logTail: error.logTail } : {}),
  };
  const failed = report.images.find((candidate) => candidate.name === image);
  if (failed) failed.status = 'failed';
}

async function removeLocalImages(
  branch: PlannedBranch,
  built: ReadonlyMap<string, BuiltImage>,
  deps: PublishDeps,
): Promise<void> {
  // Children first: an image with a child cannot go before it.
  for (const image of [...branch.images].reverse()) {
    const entry = built.get(image.name);
    if (!entry) continue;
    for (const ref of [image.tags[0] as string, entry.imageId]) {
      await deps.engine
        .removeImage(ref)
        .catch((error: unknown) => deps.log.child(`${image.name}@${branch.branch}`).warn(errorMessage(error)));
    }
  }
}

function noteDecisions(
  branch: PlannedBranch,
  decisions: ReadonlyMap<string, Decision>,
  report: BranchReport,
  deps: PublishDeps,
): void {
  for (const image of report.images) {
    const decision = decisions.get(image.name);
    if (!decision) continue;
    image.reason = decision.reason;
    const log = deps.log.child(`${image.name}@${branch.branch}`);
    if (decision.action === 'reuse') {
      image.status = 'unchanged';
      image.reusedDigest = decision.published.manifest.digest;
      log.info(`unchanged: reusing ${decision.published.manifest.digest.slice(0, 19)} (${decision.reason})`);
    } else {
      log.info(`rebuilding: ${decision.reason}`);
    }
  }
}

/**
 * A reused image that a rebuilt child stands on must be in the engine: pull it by digest (its
 * image ID is then the published config digest), rather than rebuild and retest it.
 */
async function pullReusedBases(
  branch: PlannedBranch,
  decisions: ReadonlyMap<string, Decision>,
  built: Map<string, BuiltImage>,
  deps: PublishDeps,
): Promise<void> {
  for (const image of branch.images) {
    const base = image.base ? decisions.get(image.base) : undefined;
    if (
      !image.base ||
      base?.action !== 'reuse' ||
      decisions.get(image.name)?.action === 'reuse' ||
      built.has(image.base)
    )
      continue;
    const baseImage = branch.images.find((candidate) => candidate.name === image.base);
    const ref = baseImage?.tags[1] as string;
    const byDigest = `${ref.slice(0, ref.lastIndexOf(':'))}@${base.published.manifest.digest}`;
    const log = deps.log.child(`${image.base}@${branch.branch}`);
    log.info(`pulling ${byDigest} for ${image.name} to build on`);
    const imageId = await deps.engine
      .pull(byDigest, deps.credentials, engineOutput(log), deps.signal)
      .catch((error: unknown) => {
        throw new BranchFailure('pull', image.base, errorMessage(error), { cause: error });
      });
    if (imageId !== base.published.imageId)
      throw new BranchFailure(
        'pull',
        image.base,
        `pulled ${byDigest} as ${imageId}, expected ${base.published.imageId}`,
      );
    built.set(image.base, { name: image.base, imageId, inputs: base.published.labels[INPUTS_LABEL] ?? '' });
  }
}

/**
 * Carries out a plan: per branch, build and smoke-test every image, then push. A failing branch
 * stops alone and pushes nothing; the others go on. Every container the run started is removed at
 * the end, whatever happened.
 */
export async function publish(
  plan: Plan,
  deps: PublishDeps,
  options: PublishOptions,
  shared: RunShared,
  runId: string,
): Promise<RunReport> {
  const started = deps.clock.now();
  const reports = plan.branches.map(newBranchReport);
  const buildLane = pLimit(Math.max(1, options.concurrency));
  const pushLane = pLimit(PUSH_CONCURRENCY);
  const pushes: Promise<void>[] = [];

  const finish = async (
    branch: PlannedBranch,
    report: BranchReport,
    built: Map<string, BuiltImage>,
    startedAt: number,
  ): Promise<void> => {
    if (!options.keep) await removeLocalImages(branch, built, deps);
    report.durationMs = deps.clock.now().getTime() - startedAt;
    const log = deps.log.child(branch.branch);
    const took = `${(report.durationMs / 1000).toFixed(1)}s`;
    if (report.status === 'failed') {
      const where = `${report.failure?.step}${report.failure?.image ? ` (${report.failure.image})` : ''}`;
      log.error(`FAILED at ${where} after ${took}: ${report.failure?.message}`);
      log.annotateError(`${branch.branch} failed at ${where}`, report.failure?.message ?? 'failed');
    } else if (report.failure?.step === TIME_LIMIT_STEP) {
      log.error(`CUT OFF BY TIME after ${took}: ${report.failure.message}`);
      log.annotateError(`${branch.branch} cut off by time`, `${report.failure.message}, after ${took}`);
    } else log.info(`${report.status} in ${took}`);
  };

  const runBranch = async (branch: PlannedBranch, report: BranchReport): Promise<void> => {
    const startedAt = deps.clock.now().getTime();
    const built = new Map<string, BuiltImage>();
    let snapshot: Snapshot | undefined;
    let decisions = new Map<string, Decision>();
    try {
      deps.signal.throwIfAborted();
      if (options.push) {
        const registry = deps.registry;
        if (!registry) throw new WorkError('registry', 'pushing needs a registry client');
        await deps.log.child(branch.branch).group('published images', async () => {
          snapshot = await snapshotBranch(branch, registry);
          if (!options.force)
            decisions = decideReuse(
              branch,
              await expectedInputsOf(branch, shared),
              await readPublished(branch, snapshot, registry),
            );
        });
      }
      const reused = new Set(
        [...decisions].filter(([, decision]) => decision.action === 'reuse').map(([name]) => name),
      );
      noteDecisions(branch, decisions, report, deps);
      await pullReusedBases(branch, decisions, built, deps);
      await buildAndTestBranch(branch, deps, shared, built, report, reused);
    } catch (error) {
      recordFailure(report, error, deps.signal);
      await finish(branch, report, built, startedAt);
      return;
    }
    if (!options.push || !snapshot) {
      report.status = 'tested';
      await finish(branch, report, built, startedAt);
      return;
    }
    const sources = new Map<string, Source>(
      branch.images.map((image): [string, Source] => {
        const decision = decisions.get(image.name);
        return decision?.action === 'reuse'
          ? [image.name, { kind: 'reused', manifest: decision.published.manifest }]
          : [image.name, { kind: 'built', image: built.get(image.name) as BuiltImage }];
      }),
    );
    const readySnapshot = snapshot;
    pushes.push(
      pushLane(async () => {
        try {
          await deps.log
            .child(branch.branch)
            .group('push', (log) => pushBranch(branch, sources, readySnapshot, { ...deps, log }, report));
          const unchanged = report.images.every((image) => image.status === 'unchanged');
          report.status = unchanged ? 'unchanged' : 'published';
          for (const image of report.images) if (image.status !== 'unchanged') image.status = 'pushed';
        } catch (error) {
          recordFailure(report, error, deps.signal);
        } finally {
          await finish(branch, report, built, startedAt);
        }
      }),
    );
  };

  try {
    await Promise.all(
      plan.branches.map((branch, index) => buildLane(() => runBranch(branch, reports[index] as BranchReport))),
    );
    await Promise.all(pushes);
  } finally {
    await deps.containers
      .removeAll()
      .catch((error: unknown) => deps.log.warn(`could not remove every container of the run: ${errorMessage(error)}`));
  }

  const finished = deps.clock.now();
  const interrupted = deps.signal.aborted;
  const failed = reports.some((report) => report.status === 'failed' || report.status === 'interrupted');
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
    status: interrupted ? 'interrupted' : failed ? 'failed' : 'success',
    options: { push: options.push, force: options.force, keep: options.keep },
    branches: reports,
  };
}

/** The exit code of a finished run: 0, 1 for a failed branch, the signal's code when interrupted. */
export function runExitCode(report: RunReport, signal: AbortSignal): number {
  if (report.status === 'interrupted') return signal.reason instanceof PipelineError ? signal.reason.exitCode : 130;
  return report.status === 'success' ? 0 : 1;
}
