import { BranchFailure, errorMessage, statusOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { PlannedBranch, PlannedImage } from '../plan/plan.js';
import type { Manifest, OutputListener, Registry } from '../ports.js';
import { withRetry } from '../retry.js';
import { movingTags, parseImageRef, pushOrder, type ImageRef } from '../../tags/index.js';
import type { BuiltImage, PlatformImage } from './branch-build.js';
import { indexEntries, makeIndex, type IndexEntry } from './image-index.js';
import type { PublishDeps } from './context.js';
import { rollBack, WriteLog } from './rollback.js';
import { snapshotBranch, type Snapshot } from './snapshot.js';

/**
 * What a branch's images will be published as: built now, an existing manifest reused, or platform
 * manifests that stage jobs pushed (publish --assemble), put together here as an index (an image
 * without platforms: its one manifest).
 */
export type Source =
  | { kind: 'built'; image: BuiltImage }
  | { kind: 'reused'; manifest: Manifest }
  | { kind: 'staged'; entries: IndexEntry[] };

/** One image as the push left it. */
export interface PushedImage {
  name: string;
  /** The digest its tags were given: of a multi-platform image, its image index's. */
  digest: string;
  /** Of a multi-platform image: each platform's manifest digest, as the index names them. */
  platforms?: { platform: string; digest: string }[];
  pushMs: number;
  /** References that point at `digest` after the push (and the rollback, if there was one). */
  tags: string[];
}

/** What pushing a branch did. */
export interface BranchPush {
  /** The images whose dated tag went in, in build order. */
  images: PushedImage[];
  /** What stopped the push: a BranchFailure, a registry error, or the run's signal. */
  failure?: unknown;
  /** What the rollback did, found and could not do, one line each, when it came to one. */
  rollback?: string[];
}

// How long undoing may take: after a failure, and after a signal (the run has 10 s to stop in all,
// the engine's settling included).
export const CLEANUP_TIMEOUT_MS = 15_000;
export const INTERRUPTED_CLEANUP_TIMEOUT_MS = 6000;
const ENGINE_SETTLE_MS = 2000;

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

/** The push of one branch, with what it has written so far. */
class BranchPusher {
  readonly writes = new WriteLog();
  /** True while the engine pushes: a manifest PUT it already sent may land after it was stopped. */
  enginePushInFlight = false;
  private readonly branch: PlannedBranch;
  private readonly snapshot: Snapshot;
  private readonly registry: Registry;
  private readonly deps: PublishDeps;

  constructor(branch: PlannedBranch, snapshot: Snapshot, registry: Registry, deps: PublishDeps) {
    this.branch = branch;
    this.snapshot = snapshot;
    this.registry = registry;
    this.deps = deps;
  }

  private log(image: PlannedImage): Logger {
    return this.deps.log.child(`${image.name}@${this.branch.branch}`);
  }

  private async put(image: PlannedImage, reference: string, manifest: Manifest): Promise<void> {
    const { repository, tag } = parseImageRef(reference);
    this.deps.signal.throwIfAborted();
    this.writes.wrote(reference, manifest.digest);
    await this.registry.putManifest(repository, tag, manifest).then(
      () => this.writes.answered(reference),
      (error: unknown) => {
        // A refusal is an answer: that write will not land. Without one (cut off, timed out) it may.
        if (statusOf(error) !== undefined) this.writes.answered(reference);
        throw new BranchFailure('retag', image.name, errorMessage(error), { cause: error });
      },
    );
  }

  /** Names a built image by its dated tag in the engine, for the engine to push. */
  private async tag(image: PlannedImage, imageId: string, dated: ImageRef): Promise<void> {
    await this.deps.engine.tagImage(imageId, dated).catch((error: unknown) => {
      throw new BranchFailure('push', image.name, errorMessage(error), { cause: error });
    });
  }

  /** The dated tag: the engine pushes a built image; a reused one is re-tagged by manifest. */
  async pushDated(image: PlannedImage, source: Source | undefined): Promise<PushedImage> {
    const log = this.log(image);
    const dated = parseImageRef(image.tags.dated);
    const started = this.deps.clock.now().getTime();
    this.deps.signal.throwIfAborted();
    let digest: string;
    let platforms: { platform: string; digest: string }[] | undefined;
    if (source?.kind === 'built' && source.image.platforms) {
      ({ digest, platforms } = await this.pushIndex(image, source.image.platforms, log));
    } else if (source?.kind === 'built') {
      await this.tag(image, source.image.imageId, dated);
      this.writes.pushing(image.tags.dated, source.image.imageId);
      this.enginePushInFlight = true;
      digest = await withRetry(
        `push ${image.tags.dated}`,
        () => this.deps.engine.push(dated, this.deps.credentials, engineOutput(log), this.deps.signal),
        { policy: this.deps.retry, clock: this.deps.clock, signal: this.deps.signal, log },
      ).catch((error: unknown) => {
        throw new BranchFailure('push', image.name, errorMessage(error), { cause: error });
      });
      this.enginePushInFlight = false;
      this.writes.pushed(image.tags.dated, digest);
    } else if (source?.kind === 'staged') {
      // Already in the repository, pushed by the stage jobs: only the index (or the one manifest) is put.
      const manifest = image.platforms ? makeIndex(source.entries) : source.entries[0]?.manifest;
      if (!manifest) throw new BranchFailure('push', image.name, `nothing staged for ${image.name}`);
      digest = manifest.digest;
      if (image.platforms) {
        platforms = source.entries.map((entry) => ({ platform: entry.platform, digest: entry.manifest.digest }));
        // Made by this run, unless some tag already holds the very same index: a rollback may then delete it.
        if (![...this.snapshot.values()].some((held) => held?.digest === digest)) this.writes.fresh.add(digest);
      }
      if (this.snapshot.get(image.tags.dated)?.digest !== digest) await this.put(image, image.tags.dated, manifest);
    } else if (source?.kind === 'reused') {
      // crane-tag style: the same manifest bytes under a new tag; no pull, no blob moves.
      digest = source.manifest.digest;
      if (this.snapshot.get(image.tags.dated)?.digest !== digest)
        await this.put(image, image.tags.dated, source.manifest);
    } else {
      throw new BranchFailure('push', image.name, `nothing to publish for ${image.name}`);
    }
    const pushMs = this.deps.clock.now().getTime() - started;
    const verb = { built: 'pushed', reused: 'tagged', staged: 'assembled' }[source.kind];
    log.info(`${verb} ${image.tags.dated} (${digest.slice(0, 19)}) in ${(pushMs / 1000).toFixed(1)}s`);
    return { name: image.name, digest, pushMs, tags: [image.tags.dated], ...(platforms ? { platforms } : {}) };
  }

  /**
   * A multi-platform image: the engine pushes each platform's image through the dated tag (the
   * engine pushes only by tag; no per-platform tag is left behind), then the image index naming
   * them all is put under the dated tag. Every write is logged first, for the rollback.
   */
  private async pushIndex(
    image: PlannedImage,
    platforms: readonly PlatformImage[],
    log: Logger,
  ): Promise<{ digest: string; platforms: { platform: string; digest: string }[] }> {
    const dated = parseImageRef(image.tags.dated);
    const entries: IndexEntry[] = [];
    for (const platform of platforms) {
      this.deps.signal.throwIfAborted();
      await this.tag(image, platform.imageId, dated);
      this.writes.pushing(image.tags.dated, platform.imageId);
      this.enginePushInFlight = true;
      const digest = await withRetry(
        `push ${image.tags.dated} (${platform.platform})`,
        () => this.deps.engine.push(dated, this.deps.credentials, engineOutput(log), this.deps.signal),
        { policy: this.deps.retry, clock: this.deps.clock, signal: this.deps.signal, log },
      ).catch((error: unknown) => {
        throw new BranchFailure('push', image.name, `${platform.platform}: ${errorMessage(error)}`, { cause: error });
      });
      this.enginePushInFlight = false;
      this.writes.pushed(image.tags.dated, digest);
      const manifest = await this.registry.getManifest(dated.repository, digest);
      if (!manifest)
        throw new BranchFailure(
          'push',
          image.name,
          `${dated.host}/${dated.repository}@${digest} (${platform.platform}) vanished from the registry right after ` +
            `the push`,
        );
      log.info(`pushed ${platform.platform} as ${digest.slice(0, 19)}`);
      entries.push({ platform: platform.platform, manifest });
    }
    const index = makeIndex(entries);
    // Made by this run: a rollback may delete it with the dated tag.
    this.writes.fresh.add(index.digest);
    await this.put(image, image.tags.dated, index);
    return {
      digest: index.digest,
      platforms: entries.map((entry) => ({ platform: entry.platform, digest: entry.manifest.digest })),
    };
  }

  /** Floating, version and `latest`: moved by manifest PUT to the digest the dated tag got. */
  async moveTags(image: PlannedImage, digest: string, source: Source | undefined): Promise<void> {
    const moving = movingTags(image.tags).filter((reference) => this.snapshot.get(reference)?.digest !== digest);
    if (moving.length === 0) return;
    const dated = parseImageRef(image.tags.dated);
    const manifest =
      source?.kind === 'reused' ? source.manifest : await this.registry.getManifest(dated.repository, digest);
    if (!manifest)
      throw new BranchFailure(
        'retag',
        image.name,
        `${dated.host}/${dated.repository}@${digest} vanished from the registry right after the push`,
      );
    for (const reference of moving) await this.put(image, reference, manifest);
    this.log(image).info(`tagged ${moving.join(', ')}`);
  }

  /**
   * Every tag of the image points at its digest, read back from the registry; an index names every
   * platform, and each platform's manifest is there.
   */
  async verify(image: PlannedImage, digest: string): Promise<void> {
    if (image.platforms) await readBackIndex(this.registry, image, digest);
    for (const reference of pushOrder(image.tags)) {
      const { repository, tag } = parseImageRef(reference);
      const actual = await this.registry.digestOf(repository, tag);
      if (actual !== digest)
        throw new BranchFailure(
          'verify',
          image.name,
          `${reference} points at ${actual ?? 'nothing'}, expected ${digest}`,
        );
    }
  }
}

/** The index under `digest` names exactly the image's platforms, and every platform manifest is there. */
async function readBackIndex(registry: Registry, image: PlannedImage, digest: string): Promise<void> {
  const { repository } = parseImageRef(image.tags.dated);
  const index = await registry.getManifest(repository, digest);
  const entries = index ? indexEntries(index) : undefined;
  if (!entries)
    throw new BranchFailure(
      'verify',
      image.name,
      `${repository}@${digest} is ${index ? `a ${index.mediaType}` : 'missing'}, expected an image index`,
    );
  const named = entries.map((entry) => entry.platform).join(', ');
  if (named !== (image.platforms ?? []).join(', '))
    throw new BranchFailure(
      'verify',
      image.name,
      `the index names ${named}, expected ${(image.platforms ?? []).join(', ')}`,
    );
  for (const entry of entries)
    if ((await registry.digestOf(repository, entry.digest)) !== entry.digest)
      throw new BranchFailure('verify', image.name, `${repository}@${entry.digest} (${entry.platform}) is missing`);
}

/**
 * Publishes a branch whose images all passed their smoke tests. It first reads what every planned
 * tag holds (the snapshot a rollback goes back to), then pushes every image's dated tag; only when
 * all of them are in do the floating, version and `latest` tags move, in quick succession; then
 * every tag is read back. Any failure undoes what this run wrote, and only that (rollback.ts).
 * Returns what happened; it throws nothing a branch could fail with.
 */
export async function pushBranch(
  branch: PlannedBranch,
  sources: ReadonlyMap<string, Source>,
  deps: PublishDeps,
): Promise<BranchPush> {
  const registry = deps.registry;
  if (!registry)
    return { images: [], failure: new BranchFailure('push', undefined, 'no registry client to push with') };
  let snapshot: Snapshot;
  try {
    deps.signal.throwIfAborted();
    snapshot = await snapshotBranch(branch, registry);
  } catch (failure) {
    return { images: [], failure };
  }
  const pusher = new BranchPusher(branch, snapshot, registry, deps);
  const pushed: { image: PlannedImage; result: PushedImage }[] = [];
  const results = (tagsOf: (image: PlannedImage, result: PushedImage) => string[]): PushedImage[] =>
    pushed.map(({ image, result }) => ({ ...result, tags: tagsOf(image, result) }));
  try {
    for (const image of branch.images)
      pushed.push({ image, result: await pusher.pushDated(image, sources.get(image.name)) });
    // Every dated tag is in: only now do the tags users pull move.
    for (const { image, result } of pushed) await pusher.moveTags(image, result.digest, sources.get(image.name));
    for (const { image, result } of pushed) await pusher.verify(image, result.digest);
    return { images: results((image) => pushOrder(image.tags)) };
  } catch (failure) {
    const log = deps.log.child(branch.branch);
    log.warn(`undoing what this run wrote to the tags of ${branch.branch}`);
    // The engine stops a push when its client goes, but a manifest PUT it already sent still
    // lands (seen 20 ms after the signal on a local registry): let it settle before reading what
    // to undo. Within the 10 s a signalled run has to stop.
    if (pusher.enginePushInFlight) await deps.clock.sleep(ENGINE_SETTLE_MS);
    let rollback: string[];
    let left = new Map<string, string>();
    try {
      // Its own deadline, not the run's signal: this must run even when the run was interrupted.
      const cleanup = registry.forCleanup(deps.signal.aborted ? INTERRUPTED_CLEANUP_TIMEOUT_MS : CLEANUP_TIMEOUT_MS);
      const undone = await rollBack(snapshot, pusher.writes, cleanup, log, deps.tagDeleterFor?.(cleanup));
      rollback = undone.lines;
      left = undone.left;
    } catch (error) {
      const problem = `the registry may be left half-published: ${errorMessage(error)}`;
      log.error(problem);
      rollback = [problem];
    }
    // What is left on this run's images: tags the registry would not let it take back.
    const stays = (image: PlannedImage, result: PushedImage): string[] =>
      pushOrder(image.tags).filter((reference) => left.get(reference) === result.digest);
    return { images: results(stays), failure, rollback };
  }
}
