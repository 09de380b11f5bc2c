import { randomUUID } from 'node:crypto';
import type { Registry } from '../ports.js';

/** Removes tags from a registry without touching other tags, whatever digest they share. */
export interface TagDeleter {
  /**
   * Deletes `tags` of `repository`. `exclusive` lists digests no other tag of the repository may
   * point at (built in this run): those are deleted as manifests outright.
   */
  deleteTags(repository: string, tags: readonly string[], exclusive?: ReadonlySet<string>): Promise<void>;
}

const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';

/**
 * Tag deletion over the Registry API v2, which can only delete manifests (and with a manifest,
 * every tag on it). A tag whose digest others may share is first pointed at a throwaway manifest
 * of its own, which is then deleted: only that tag goes (what regclient's tag delete does).
 */
export class RegistryApiTagDeleter implements TagDeleter {
  private readonly registry: Registry;

  constructor(registry: Registry) {
    this.registry = registry;
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
        await this.registry.deleteManifest(repository, digest);
        continue;
      }
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
      const placeholder = await this.registry.putManifest(repository, tag, {
        mediaType: MANIFEST_V2,
        bytes,
        digest: '',
      });
      await this.registry.deleteManifest(repository, placeholder);
    }
  }
}
