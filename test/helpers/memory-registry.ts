import { createHash } from 'node:crypto';
import type { Manifest, Registry } from '../../pipeline/ports.js';

/** An in-memory registry with the Registry API's semantics: deleting a manifest drops its tags. */
export class MemoryRegistry implements Registry {
  readonly host = 'memory';
  readonly tags = new Map<string, string>();
  readonly manifests = new Map<string, Manifest>();

  add(tag: string, mediaType: string, body: object): string {
    const bytes = Buffer.from(JSON.stringify(body));
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    this.manifests.set(digest, { digest, mediaType, bytes });
    this.tags.set(tag, digest);
    return digest;
  }
  digestOf(_repository: string, reference: string): Promise<string | undefined> {
    return Promise.resolve(
      reference.startsWith('sha256:')
        ? this.manifests.has(reference)
          ? reference
          : undefined
        : this.tags.get(reference),
    );
  }
  async getManifest(repository: string, reference: string): Promise<Manifest | undefined> {
    const digest = await this.digestOf(repository, reference);
    return digest ? this.manifests.get(digest) : undefined;
  }
  putManifest(_repository: string, tag: string, manifest: Manifest): Promise<string> {
    const digest = `sha256:${createHash('sha256').update(manifest.bytes).digest('hex')}`;
    this.manifests.set(digest, { ...manifest, digest });
    this.tags.set(tag, digest);
    return Promise.resolve(digest);
  }
  getBlob(): Promise<Buffer> {
    return Promise.resolve(Buffer.alloc(0));
  }
  listTags(): Promise<string[]> {
    return Promise.resolve([...this.tags.keys()].sort());
  }
  deleteManifest(_repository: string, digest: string): Promise<void> {
    this.manifests.delete(digest);
    for (const [tag, target] of this.tags) if (target === digest) this.tags.delete(tag);
    return Promise.resolve();
  }
  putBlob(_repository: string, bytes: Buffer): Promise<string> {
    return Promise.resolve(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  }
  forCleanup(): Registry {
    return this;
  }
}
