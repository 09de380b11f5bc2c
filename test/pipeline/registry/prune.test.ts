import { describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../helpers/memory-registry.js';
import { pruneRepository } from '../../../pipeline/registry/prune.js';
import { RegistryApiTagDeleter } from '../../../pipeline/registry/tag-deleter.js';

const INDEX = 'application/vnd.oci.image.index.v1+json';
const IMAGE = 'application/vnd.oci.image.manifest.v1+json';

const now = new Date('2026-11-27T10:00:00Z');

describe('pruneRepository', () => {
  it('never deletes a manifest that a kept image index lists, nor one a kept tag points at', async () => {
    const registry = new MemoryRegistry();
    const amd64 = registry.add('ns/image', 'master-2026-10-01', IMAGE, { layers: [], arch: 'amd64' });
    const index = registry.add('ns/image', 'master', INDEX, { manifests: [{ digest: amd64, mediaType: IMAGE }] });
    registry.setTag('ns/image', 'master-2026-11-27', index);
    registry.setTag('ns/image', 'master-2026-10-02', index);
    const gone = registry.add('ns/image', 'master-2026-09-01', IMAGE, { layers: [], arch: 'old' });
    const seen: string[] = [];

    const result = await pruneRepository(
      'ns/image',
      { registry, deleter: new RegistryApiTagDeleter(registry), deletesManifests: true },
      { keepDays: 7, now, branches: [], dryRun: false, onTag: (tag) => seen.push(`${tag.tag} ${tag.withManifest}`) },
    );

    expect(seen).toEqual(['master-2026-09-01 true', 'master-2026-10-01 false', 'master-2026-10-02 false']);
    expect(result.pruned).toHaveLength(3);
    expect(registry.tagsOf('ns/image')).toEqual({ master: index, 'master-2026-11-27': index });
    expect(registry.hasManifest('ns/image', amd64)).toBe(true);
    expect(registry.hasManifest('ns/image', index)).toBe(true);
    expect(registry.hasManifest('ns/image', gone)).toBe(false);
  });

  it('touches nothing in a dry run', async () => {
    const registry = new MemoryRegistry();
    registry.add('ns/image', 'master-2026-09-01', IMAGE, { layers: [] });
    const result = await pruneRepository(
      'ns/image',
      { registry, deletesManifests: true },
      { keepDays: 7, now, branches: [], dryRun: true, onTag: () => undefined },
    );
    expect(result.pruned.map((tag) => tag.tag)).toEqual(['master-2026-09-01']);
    expect(Object.keys(registry.tagsOf('ns/image'))).toEqual(['master-2026-09-01']);
  });
});
