import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { PlannedBranch, PlannedImage } from '../plan/plan.js';
import type { Manifest, OutputListener, Registry } from '../ports.js';
import { RegistryApiTagDeleter, type TagDeleter } from '../registry/tag-deleter.js';
import { withRetry } from '../retry.js';
import { formatImageRef, parseImageRef, type ImageRef } from '../../tags/index.js';
import { BranchFailure, type BuiltImage } from './branch-build.js';
import type { PublishDeps } from './context.js';
import type { BranchReport, ImageReport } from './report.js';

/** Every planned tag of a branch and the manifest it pointed at before the run (undefined: none). */
export type Snapshot = Map<string, Manifest | undefined>;

/** What a branch's images will be published as: built now, or an existing manifest reused. */
export type Source = { kind: 'built'; image: BuiltImage } | { kind: 'reused'; manifest: Manifest };

// How long putting tags back may take: after a failure, and after a signal (the run has 10 s to
// stop in all, the engine's settling included).
export const CLEANUP_TIMEOUT_MS = 15_000;
export const INTERRUPTED_CLEANUP_TIMEOUT_MS = 6000;
const ENGINE_SETTLE_MS = 2000;

function refsOf(image: PlannedImage): ImageRef[] {
  return image.tags.map(parseImageRef);
}

/**
 * Engine output of a push or pull for the log: the engine retries a failed layer upload on its own
 * (counting down "Retrying in N seconds"); each such retry is a warning, so retries always show.
 */
export function engineOutput(log: Logger): OutputListener {
  const countdowns = new Map<string, number>();
  return (line) => {
    const retry = /^(?:(\S+): )?Retrying in (\d+) seconds?$/.exec(line);
    if (!retry) return log.detail(line);
    const layer = retry[1] ?? '';
    const seconds = Number(retry[2]);
    const last = countdowns.get(layer);
    countdowns.set(layer, seconds);
    if (last === undefined || seconds > last)
      log.warn(`the registry failed ${layer ? `layer ${layer}` : 'a layer'}; the engine retries it in ${seconds}s`);
    else log.detail(line);
  };
}

/** Reads what every planned tag of the branch points at now, so a failure can put it back. */
export async function snapshotBranch(branch: PlannedBranch, registry: Registry): Promise<Snapshot> {
  const snapshot: Snapshot = new Map();
  for (const image of branch.images) {
    for (const ref of refsOf(image))
      snapshot.set(formatImageRef(ref), await registry.getManifest(ref.repository, ref.tag));
  }
  return snapshot;
}

/**
 * Puts every planned tag of the branch back to its snapshot: a moved tag gets its old manifest
 * again, a tag that did not exist is deleted. `fresh` digests were built in this run, so no tag
 * outside the branch shares them and they can go as whole manifests. It goes on past a tag it
 * cannot put back, and judges by reading the registry, not by answers: a PUT whose answer never
 * came may well have landed. Returns what it did, and what it could not confirm, if anything.
 */
export async function restoreSnapshot(
  branch: PlannedBranch,
  snapshot: Snapshot,
  registry: Registry,
  fresh: ReadonlySet<string>,
  log: Logger,
  deleter: TagDeleter = new RegistryApiTagDeleter(registry),
): Promise<{ actions: string[]; problem?: string }> {
  const actions: string[] = [];
  const unsure = new Map<string, { ref: ImageRef; cause: string }>();
  for (const image of branch.images) {
    for (const ref of refsOf(image)) {
      const name = formatImageRef(ref);
      const before = snapshot.get(name);
      try {
        const now = await registry.digestOf(ref.repository, ref.tag);
        if (now === before?.digest) continue;
        if (before) {
          await registry.putManifest(ref.repository, ref.tag, before);
          actions.push(`restored ${name} to ${before.digest}`);
        } else {
          await deleter.deleteTags(ref.repository, [ref.tag], fresh);
          actions.push(`deleted ${name}`);
        }
        log.warn(actions[actions.length - 1] as string);
      } catch (error) {
        unsure.set(name, { ref, cause: errorMessage(error) });
      }
    }
  }
  for (const [name, { ref }] of unsure) {
    const now = await registry.digestOf(ref.repository, ref.tag).catch(() => 'unknown');
    if (now !== snapshot.get(name)?.digest) continue;
    unsure.delete(name);
    actions.push(`put back ${name} (confirmed by reading it back)`);
    log.warn(actions[actions.length - 1] as string);
  }
  if (unsure.size === 0) return { actions };
  return {
    actions,
    problem: `could not check or put back ${[...unsure.keys()].join(', ')}: ${[...unsure.values()][0]?.cause ?? ''}`,
  };
}

/**
 * Publishes a branch whose images all passed their smoke tests. First every image's dated tag
 * (the engine pushes built images; reused ones are re-tagged by manifest), then, only when all of
 * them are in, the floating and version tags by manifest PUT, then a read-back that every tag of an
 * image has the same digest. Any failure puts the branch's tags back as they were.
 */
export async function pushBranch(
  branch: PlannedBranch,
  sources: ReadonlyMap<string, Source>,
  snapshot: Snapshot,
  deps: PublishDeps,
  report: BranchReport,
): Promise<void> {
  const registry = deps.registry;
  if (!registry) throw new BranchFailure('push', undefined, 'no registry client to push with');
  const fresh = new Set<string>();
  const digests = new Map<string, string>();
  let enginePushInFlight = false;
  const retry = { policy: deps.retry, clock: deps.clock, signal: deps.signal };
  try {
    for (const [index, image] of branch.images.entries()) {
      const log = deps.log.child(`${image.name}@${branch.branch}`);
      const imageReport = report.images[index] as ImageReport;
      const source = sources.get(image.name);
      const dated = parseImageRef(image.tags[0] as string);
      const started = deps.clock.now().getTime();
      deps.signal.throwIfAborted();
      let digest: string;
      if (source?.kind === 'built') {
        await deps.engine.tagImage(source.image.imageId, dated);
        enginePushInFlight = true;
        digest = await withRetry(
          `push ${formatImageRef(dated)}`,
          () => deps.engine.push(dated, deps.credentials, engineOutput(log), deps.signal),
          { ...retry, log },
        ).catch((error: unknown) => {
          throw new BranchFailure('push', image.name, errorMessage(error), { cause: error });
        });
        enginePushInFlight = false;
        fresh.add(digest);
      } else if (source?.kind === 'reused') {
        // crane-tag style: the same manifest bytes under a new tag; no pull, no blob moves.
        digest = source.manifest.digest;
        if (snapshot.get(formatImageRef(dated))?.digest !== digest) {
          await registry.putManifest(dated.repository, dated.tag, source.manifest).catch((error: unknown) => {
            throw new BranchFailure('retag', image.name, errorMessage(error), { cause: error });
          });
        }
      } else {
        throw new BranchFailure('push', image.name, `nothing to publish for ${image.name}`);
      }
      digests.set(image.name, digest);
      imageReport.digest = digest;
      imageReport.durations.pushMs = deps.clock.now().getTime() - started;
      const verb = source.kind === 'built' ? 'pushed' : 'tagged';
      log.info(
        `${verb} ${formatImageRef(dated)} (${digest.slice(0, 19)}) in ${((imageReport.durations.pushMs ?? 0) / 1000).toFixed(1)}s`,
      );
    }

    // Every dated tag is in: only now do floating and version tags move, all in quick succession.
    for (const image of branch.images) {
      const log = deps.log.child(`${image.name}@${branch.branch}`);
      const digest = digests.get(image.name) as string;
      const moving = refsOf(image)
        .slice(1)
        .filter((ref) => snapshot.get(formatImageRef(ref))?.digest !== digest);
      if (moving.length === 0) continue;
      const source = sources.get(image.name);
      const first = parseImageRef(image.tags[0] as string);
      const manifest =
        source?.kind === 'reused' ? source.manifest : await registry.getManifest(first.repository, digest);
      if (!manifest)
        throw new BranchFailure(
          'retag',
          image.name,
          `${first.host}/${first.repository}@${digest} vanished from the registry right after the push`,
        );
      for (const ref of moving) {
        deps.signal.throwIfAborted();
        await registry.putManifest(ref.repository, ref.tag, manifest).catch((error: unknown) => {
          throw new BranchFailure('retag', image.name, errorMessage(error), { cause: error });
        });
        log.info(`tagged ${formatImageRef(ref)}`);
      }
    }

    for (const [index, image] of branch.images.entries()) {
      const digest = digests.get(image.name) as string;
      for (const ref of refsOf(image)) {
        const actual = await registry.digestOf(ref.repository, ref.tag);
        if (actual !== digest)
          throw new BranchFailure(
            'verify',
            image.name,
            `${formatImageRef(ref)} points at ${actual ?? 'nothing'}, expected ${digest}`,
          );
      }
      (report.images[index] as ImageReport).tags = [...image.tags];
    }
  } catch (error) {
    const log = deps.log.child(branch.branch);
    log.warn(`putting the tags of ${branch.branch} back as they were before the run`);
    // The engine stops a push when its client goes, but a manifest PUT it already sent still
    // lands (seen 20 ms after the signal on a local registry): let it settle before reading what
    // to undo. Within the 10 s a signalled run has to stop.
    if (enginePushInFlight) await new Promise((resolve) => setTimeout(resolve, ENGINE_SETTLE_MS));
    let problem: string | undefined;
    try {
      // Its own deadline, not the run's signal: this must run even when the run was interrupted.
      const cleanup = registry.forCleanup(deps.signal.aborted ? INTERRUPTED_CLEANUP_TIMEOUT_MS : CLEANUP_TIMEOUT_MS);
      const undone = await restoreSnapshot(branch, snapshot, cleanup, fresh, log, deps.tagDeleterFor?.(cleanup));
      report.rollback = undone.actions;
      problem = undone.problem;
    } catch (rollbackError) {
      problem = errorMessage(rollbackError);
    }
    if (problem) {
      const message = `the registry may be left half-published: ${problem}`;
      log.error(message);
      report.rollback = [...(report.rollback ?? []), message];
    }
    for (const image of report.images) image.tags = [];
    throw error;
  }
}
