import { randomUUID } from 'node:crypto';
import { DeletesRefusedError, errorMessage, WorkError } from '../errors.js';
import type { Manifest, Registry } from '../ports.js';

/** Removes tags from a registry without touching other tags, whatever digest they share. */
export interface TagDeleter {
  /**
   * Deletes `tags` of `repository`. `exclusive` lists digests no other tag of the repository may
   * point at (built in this run): those are deleted as manifests outright. Throws
   * DeletesRefusedError, with the tag left where it was, when the registry does not delete.
   */
  deleteTags(repository: string, tags: readonly string[], exclusive?: ReadonlySet<string>): Promise<void>;
}

const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
// No manifest can have this digest: deleting it asks whether deletes are allowed and changes nothing.
const NO_SUCH_DIGEST = `sha256:${'0'.repeat(64)}`;

function isRefusal(error: unknown): boolean {
  return (error as { status?: unknown }).status === 405;
}

/**
 * Tag deletion over the Registry API v2, which can only delete manifests (and with a manifest,
 * every tag on it). A tag whose digest others may share is first pointed at a throwaway manifest
 * of its own, which is then deleted: only that tag goes (what regclient's tag delete does). That
 * happens only where deletes are allowed (asked first, harmlessly), and if the delete fails all the
 * same the tag is put back on its image: it is never left on the throwaway manifest.
 */
export class RegistryApiTagDeleter implements TagDeleter {
  private readonly registry: Registry;
  private readonly allowed = new Map<string, Promise<boolean>>();

  constructor(registry: Registry) {
    this.registry = registry;
  }

  /** Whether the registry deletes manifests in `repository`: 405 for a digest nobody has means no. */
  private deletesAllowed(repository: string): Promise<boolean> {
    let answer = this.allowed.get(repository);
    if (!answer) {
      answer = this.registry.deleteManifest(repository, NO_SUCH_DIGEST).then(
        () => true,
        (error: unknown) => {
          if (isRefusal(error)) return false;
          throw error;
        },
      );
      this.allowed.set(repository, answer);
    }
    return answer;
  }

  private refused(repository: string, tag: string, cause: unknown): DeletesRefusedError {
    return new DeletesRefusedError(
      `the registry refuses deletes in ${this.registry.host}/${repository}, so ${tag} stays (${errorMessage(cause)})`,
      { cause },
    );
  }

  async deleteTags(
    repository: string,
    tags: readonly string[],
    exclusive: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    for (const tag of tags) {
      const digest = await this.registry.digestOf(repository, tag);
      if (digest === undefined) continue;
      if (exclusive.has(digest)) {
        await this.registry.deleteManifest(repository, digest).catch((error: unknown) => {
          throw isRefusal(error) ? this.refused(repository, tag, error) : error;
        });
        continue;
      }
      if (!(await this.deletesAllowed(repository)))
        throw this.refused(repository, tag, '405 Method Not Allowed for a manifest delete');
      const original = await this.registry.getManifest(repository, digest);
      const placeholder = await this.registry.putManifest(repository, tag, await this.placeholder(repository, tag));
      try {
        await this.registry.deleteManifest(repository, placeholder);
      } catch (error) {
        await this.putBack(repository, tag, original, error);
        throw isRefusal(error) ? this.refused(repository, tag, error) : error;
      }
    }
  }

  private async placeholder(repository: string, tag: string): Promise<Manifest> {
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: [] },
        history: [{ created_by: `mesos-pipeline: placeholder for deleting tag ${tag}`, comment: randomUUID() }],
      }),
    );
    const configDigest = await this.registry.putBlob(repository, config);
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST_V2,
        config: {
          mediaType: 'application/vnd.docker.container.image.v1+json',
          size: config.length,
          digest: configDigest,
        },
        layers: [],
      }),
    );
    return { mediaType: MANIFEST_V2, bytes, digest: '' };
  }

  /** The delete of the placeholder failed: the tag goes back on the image it was on. */
  private async putBack(
    repository: string,
    tag: string,
    original: Manifest | undefined,
    cause: unknown,
  ): Promise<void> {
    if (!original) return;
    await this.registry.putManifest(repository, tag, original).catch((error: unknown) => {
      throw new WorkError(
        'registry',
        `${tag} is left on a placeholder: deleting it failed (${errorMessage(cause)}) and putting ` +
          `${original.digest} back failed too (${errorMessage(error)})`,
        { cause },
      );
    });
  }
}
