import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Manifest, Registry } from '../../../pipeline/ports.js';
import { pruneRepository } from '../../../pipeline/registry/prune.js';
import { RegistryApiTagDeleter } from '../../../pipeline/registry/tag-deleter.js';

const INDEX = 'application/vnd.oci.image.index.v1+json';
const IMAGE = 'application/vnd.oci.image.manifest.v1+json';

/** An in-memory registry with the Registry API's semantics: deleting a manifest drops its tags. */
class MemoryRegistry implements Registry {
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
    return Promise.resolve(reference.startsWith('sha256:') ? (this.manifests.has(reference) ? reference : undefined) : this.tags.get(reference));
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

const now = new Date('2026-11-27T10:00:00Z');

describe('pruneRepository', () => {
  it('never deletes a manifest that a kept image index lists, nor one a kept tag points at', async () => {
    const registry = new MemoryRegistry();
    const amd64 = registry.add('master-2026-10-01', IMAGE, { layers: [], arch: 'amd64' });
    const index = registry.add('master', INDEX, { manifests: [{ digest: amd64, mediaType: IMAGE }] });
    registry.tags.set('master-2026-11-27', index);
    registry.tags.set('master-2026-10-02', index);
    const gone = registry.add('master-2026-09-01', IMAGE, { layers: [], arch: 'old' });
    const seen: string[] = [];

    const result = await pruneRepository('ns/image', { registry, deleter: new RegistryApiTagDeleter(registry), deletesManifests: true }, { keepDays: 7, now, branches: [], dryRun: false, onTag: (tag) => seen.push(`${tag.tag} ${tag.withManifest}`) });

    expect(seen).toEqual(['master-2026-09-01 true', 'master-2026-10-01 false', 'master-2026-10-02 false']);
    expect(result.pruned).toHaveLength(3);
    expect(Object.fromEntries(registry.tags)).toEqual({ master: index, 'master-2026-11-27': index });
    expect(registry.manifests.has(amd64)).toBe(true);
    expect(registry.manifests.has(index)).toBe(true);
    expect(registry.manifests.has(gone)).toBe(false);
  });

  it('touches nothing in a dry run', async () => {
    const registry = new MemoryRegistry();
    registry.add('master-2026-09-01', IMAGE, { layers: [] });
    const result = await pruneRepository('ns/image', { registry, deletesManifests: true }, { keepDays: 7, now, branches: [], dryRun: true, onTag: () => undefined });
    expect(result.pruned.map((tag) => tag.tag)).toEqual(['master-2026-09-01']);
    expect([...registry.tags.keys()]).toEqual(['master-2026-09-01']);
  });
});
