import { DeletesRefusedError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Registry } from '../ports.js';
import { RegistryApiTagDeleter, type TagDeleter } from '../registry/tag-deleter.js';
import { parseImageRef } from '../../tags/index.js';
import type { Snapshot } from './snapshot.js';

/**
 * Every digest this run wrote, or may have written, to each tag: all that a rollback may undo. A
 * write is recorded before it is sent, since one whose answer never came may still have landed.
 */
export class WriteLog {
  private readonly entries = new Map<string, { digests: Set<string>; configs: Set<string> }>();
  /** Digests of manifests this run created (engine pushes of images it built): no one else has them. */
  readonly fresh = new Set<string>();
  /**
   * Tags with a write whose answer never came (cut off, timed out, an engine push that failed): the
   * registry may still act on it at any moment, even after a rollback read the tag.
   */
  readonly unanswered = new Set<string>();

  private entry(reference: string): { digests: Set<string>; configs: Set<string> } {
    let entry = this.entries.get(reference);
    if (!entry) {
      entry = { digests: new Set(), configs: new Set() };
      this.entries.set(reference, entry);
    }
    return entry;
  }

  /** A manifest PUT of `digest` under `reference`. */
  wrote(reference: string, digest: string): void {
    this.entry(reference).digests.add(digest);
    this.unanswered.add(reference);
  }

  /** The registry answered the last write to `reference` (yes or no): it will not land later. */
  answered(reference: string): void {
    this.unanswered.delete(reference);
  }

  /** An engine push of the built image `imageId`: its manifest digest is known only once it is done. */
  pushing(reference: string, imageId: string): void {
    this.entry(reference).configs.add(imageId);
    this.unanswered.add(reference);
  }

  /** The engine push is done: it wrote `digest`, a manifest this run created. */
  pushed(reference: string, digest: string): void {
    this.wrote(reference, digest);
    this.answered(reference);
    this.fresh.add(digest);
  }

  /** The tags written, the latest first: a rollback undoes them in reverse. */
  references(): string[] {
    return [...this.entries.keys()].reverse();
  }

  /** Whether `digest` is something this run wrote to `reference`; reads the manifest only if it must. */
  async wroteTo(reference: string, digest: string, registry: Registry): Promise<boolean> {
    const entry = this.entries.get(reference);
    if (!entry) return false;
    if (entry.digests.has(digest)) return true;
    if (entry.configs.size === 0) return false;
    const config = await configDigestOf(registry, parseImageRef(reference).repository, digest);
    if (config === undefined || !entry.configs.has(config)) return false;
    this.fresh.add(digest);
    return true;
  }
}

export interface RollbackOutcome {
  /** What was done and found, one line each, for the report. */
  lines: string[];
  /** Tags left on an image this run published, because they could not be taken back: reference to digest. */
  left: Map<string, string>;
  /** What could not be checked, put back or taken back: an error, with the references named. */
  problems: string[];
}

async function configDigestOf(registry: Registry, repository: string, digest: string): Promise<string | undefined> {
  const manifest = await registry.getManifest(repository, digest);
  if (!manifest) return undefined;
  return (JSON.parse(manifest.bytes.toString('utf8')) as { config?: { digest?: string } }).config?.digest;
}

/** Who moved a tag, as far as the registry tells: the revision and creation time its image carries. */
async function describeImage(registry: Registry, repository: string, digest: string): Promise<string> {
  try {
    const config = await configDigestOf(registry, repository, digest);
    if (!config) return '';
    const labels =
      (
        JSON.parse((await registry.getBlob(repository, config)).toString('utf8')) as {
          config?: { Labels?: Record<string, string> | null };
        }
      ).config?.Labels ?? {};
    const revision = labels['org.opencontainers.image.revision'];
    const created = labels['org.opencontainers.image.created'];
    if (!revision && !created) return ', to an image without revision or creation labels';
    const ofRevision = revision ? ` of revision ${revision.slice(0, 12)}` : '';
    return `, to an image${ofRevision}${created ? ` created ${created}` : ''}`;
  } catch {
    return '';
  }
}

/**
 * Undoes what this run wrote to the registry, compare-and-swap as far as a registry allows: a tag
 * is undone only while it still points at something this run wrote to it, and then goes back to
 * what it held right before the branch's first push (`snapshot`), or is deleted if it did not
 * exist. A tag someone else moved since is left alone, and said so. Where the registry refuses
 * deletes, a new tag stays on the tested image it was given, and is named. It goes on past a tag it
 * cannot undo, and judges by reading the registry, not by answers: a PUT whose answer never came
 * may well have landed.
 */
export async function rollBack(
  snapshot: Snapshot,
  writes: WriteLog,
  registry: Registry,
  log: Logger,
  deleter: TagDeleter = new RegistryApiTagDeleter(registry),
): Promise<RollbackOutcome> {
  const outcome: RollbackOutcome = { lines: [], left: new Map(), problems: [] };
  const note = (line: string): void => {
    outcome.lines.push(line);
    log.warn(line);
  };
  const unsure = new Map<string, string>();
  const toDelete = new Map<string, string>();
  // A write whose answer never came may land at any moment, even after its tag was read here. Then
  // no manifest is deleted whole (it would take along a tag landing on it), and every tag is read
  // once more at the end.
  const settled = writes.unanswered.size === 0;
  const problem = (line: string): void => {
    outcome.problems.push(line);
    outcome.lines.push(line);
    log.error(line);
  };
  // Deletes a tag this run created (`exclusive`: digests that may go as whole manifests). Where the
  // registry refuses deletes, the tag stays on the tested image it was given, and is named.
  const deleteTag = async (reference: string, digest: string, exclusive: ReadonlySet<string>): Promise<void> => {
    const { repository, tag } = parseImageRef(reference);
    try {
      await deleter.deleteTags(repository, [tag], exclusive);
      note(`deleted ${reference}`);
      unsure.delete(reference);
    } catch (error) {
      if (!(error instanceof DeletesRefusedError)) unsure.set(reference, errorMessage(error));
      else {
        outcome.left.set(reference, digest);
        problem(`${reference} stays on the tested image ${digest}, which this run published: ${errorMessage(error)}`);
      }
    }
  };

  // Tags that existed go back first: a new tag is deleted only once no tag that existed before is
  // still on the image it is on, since deleting by manifest takes every tag on it along.
  for (const reference of writes.references()) {
    const { repository, tag } = parseImageRef(reference);
    const before = snapshot.get(reference);
    try {
      const now = await registry.digestOf(repository, tag);
      if (now === before?.digest) continue;
      if (now === undefined) {
        note(`left ${reference}: it is gone, which this run did not do (another writer deleted it)`);
        continue;
      }
      if (!(await writes.wroteTo(reference, now, registry))) {
        const who = await describeImage(registry, repository, now);
        note(`left ${reference}: it points at ${now}, which this run did not write (another writer moved it${who})`);
        continue;
      }
      if (!before) {
        toDelete.set(reference, now);
        continue;
      }
      await registry.putManifest(repository, tag, before);
      note(`restored ${reference} to ${before.digest}`);
    } catch (error) {
      unsure.set(reference, errorMessage(error));
    }
  }

  const exclusive = (): ReadonlySet<string> => (settled && unsure.size === 0 ? writes.fresh : new Set());
  for (const [reference, digest] of toDelete) await deleteTag(reference, digest, exclusive());

  // What landed late, after its tag was read: this run's write is undone once more.
  if (!settled)
    for (const reference of writes.references()) {
      const { repository, tag } = parseImageRef(reference);
      const before = snapshot.get(reference);
      if (outcome.left.has(reference)) continue;
      try {
        const now = await registry.digestOf(repository, tag);
        if (now === before?.digest || now === undefined || !(await writes.wroteTo(reference, now, registry))) continue;
        if (!before) {
          await deleteTag(reference, now, new Set());
          continue;
        }
        await registry.putManifest(repository, tag, before);
        note(`restored ${reference} to ${before.digest} (this run's write landed after it was first read)`);
      } catch (error) {
        unsure.set(reference, errorMessage(error));
      }
    }

  for (const reference of [...unsure.keys()]) {
    const { repository, tag } = parseImageRef(reference);
    const now = await registry.digestOf(repository, tag).catch(() => 'unknown');
    if (now !== snapshot.get(reference)?.digest) continue;
    unsure.delete(reference);
    note(`put back ${reference} (confirmed by reading it back)`);
  }
  if (unsure.size > 0)
    problem(
      `the registry may be left half-published: could not check or put back ` +
        `${[...unsure.keys()].join(', ')}: ${[...unsure.values()][0] ?? ''}`,
    );
  return outcome;
}
