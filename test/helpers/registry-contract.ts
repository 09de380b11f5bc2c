import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Manifest, Registry } from '../../pipeline/ports.js';
import { IMAGE_MANIFEST, imageManifest, sha256 } from './memory-registry.js';
import { uniqueId } from './stack.js';

// The Registry port's contract, as the reference registry keeps it. Run against the in-memory
// registry (test/pipeline/publish/memory-registry.test.ts) and against real registries through
// RegistryHttp (test/itg/registry-contract.itg.test.ts), so the fake the unit tests use cannot
// drift from what a registry does.

export interface ContractSubject {
  registry: Registry;
  deleteEnabled: boolean;
}

async function statusOf(promise: Promise<unknown>): Promise<number | 'resolved'> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
}

/** An image manifest whose config blob (unique each call) is in `repository`, with no layers. */
async function imageIn(registry: Registry, repository: string): Promise<Manifest> {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { 'contract.id': randomUUID() } },
      rootfs: { type: 'layers', diff_ids: [] },
    }),
  );
  await registry.putBlob(repository, config);
  return imageManifest(config, []);
}

export function registryContract(name: string, subject: () => ContractSubject): void {
  describe(`the Registry port contract: ${name}`, () => {
    const repository = (): string => `contract/${uniqueId()}`;

    it('has no tag, manifest or tag list for what was never written', async () => {
      const { registry } = subject();
      const repo = repository();
      expect(await registry.digestOf(repo, 'nothing')).toBeUndefined();
      expect(await registry.getManifest(repo, 'nothing')).toBeUndefined();
      expect(await registry.getManifest(repo, sha256('nothing'))).toBeUndefined();
      expect(await registry.listTags(repo)).toEqual([]);
      expect(await statusOf(registry.getBlob(repo, sha256('nothing')))).toBe(404);
    });

    it('stores blobs by their sha256 and gives the bytes back', async () => {
      const { registry } = subject();
      const repo = repository();
      const bytes = Buffer.from(`blob ${randomUUID()}`);
      expect(await registry.putBlob(repo, bytes)).toBe(sha256(bytes));
      expect((await registry.getBlob(repo, sha256(bytes))).equals(bytes)).toBe(true);
    });

    it('refuses a manifest whose config blob the repository lacks, and one that is no JSON', async () => {
      const { registry } = subject();
      const repo = repository();
      const manifest = await imageIn(registry, repository());
      expect(await statusOf(registry.putManifest(repo, 'x', manifest))).toBe(400);
      const garbage = Buffer.from('not json');
      expect(
        await statusOf(registry.putManifest(repo, 'x', { digest: '', mediaType: IMAGE_MANIFEST, bytes: garbage })),
      ).toBe(400);
      expect(await registry.listTags(repo)).toEqual([]);
    });

    it('puts a manifest under a tag byte for byte, found by tag and by digest', async () => {
      const { registry } = subject();
      const repo = repository();
      const manifest = await imageIn(registry, repo);
      expect(await registry.putManifest(repo, 'first', manifest)).toBe(manifest.digest);
      const read = await registry.getManifest(repo, 'first');
      expect(read?.digest).toBe(manifest.digest);
      expect(read?.mediaType).toBe(IMAGE_MANIFEST);
      expect(read?.bytes.equals(manifest.bytes)).toBe(true);
      expect(await registry.digestOf(repo, 'first')).toBe(manifest.digest);
      expect(await registry.digestOf(repo, manifest.digest)).toBe(manifest.digest);
      expect(await registry.listTags(repo)).toEqual(['first']);
    });

    it('moves a tag to another manifest and keeps the one it left', async () => {
      const { registry } = subject();
      const repo = repository();
      const one = await imageIn(registry, repo);
      const two = await imageIn(registry, repo);
      await registry.putManifest(repo, 'moving', one);
      await registry.putManifest(repo, 'moving', two);
      expect(await registry.digestOf(repo, 'moving')).toBe(two.digest);
      expect(await registry.digestOf(repo, one.digest)).toBe(one.digest);
    });

    it(
      'deletes a manifest with every tag on it where deletes are on, and refuses with 405 where they are ' + 'off',
      async () => {
        const { registry, deleteEnabled } = subject();
        const repo = repository();
        const manifest = await imageIn(registry, repo);
        const other = await imageIn(registry, repo);
        await registry.putManifest(repo, 'a', manifest);
        await registry.putManifest(repo, 'b', manifest);
        await registry.putManifest(repo, 'c', other);
        if (deleteEnabled) {
          await registry.deleteManifest(repo, manifest.digest);
          expect(await registry.digestOf(repo, 'a')).toBeUndefined();
          expect(await registry.digestOf(repo, 'b')).toBeUndefined();
          expect(await registry.getManifest(repo, manifest.digest)).toBeUndefined();
          expect(await registry.listTags(repo)).toEqual(['c']);
        } else {
          expect(await statusOf(registry.deleteManifest(repo, manifest.digest))).toBe(405);
          expect(await registry.listTags(repo)).toEqual(['a', 'b', 'c']);
        }
      },
    );

    it('answers a delete of a digest no manifest has: fine where deletes are on, 405 where off', async () => {
      const { registry, deleteEnabled } = subject();
      const status = await statusOf(registry.deleteManifest(repository(), `sha256:${'0'.repeat(64)}`));
      expect(status).toBe(deleteEnabled ? 'resolved' : 405);
    });
  });
}
