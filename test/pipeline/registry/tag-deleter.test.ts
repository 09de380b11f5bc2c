import { describe, expect, it } from 'vitest';
import { DeletesRefusedError } from '../../../pipeline/errors.js';
import { RegistryApiTagDeleter } from '../../../pipeline/registry/tag-deleter.js';
import { MemoryRegistry } from '../../helpers/memory-registry.js';

const REPO = 'ns/mini';
const writesOf = (registry: MemoryRegistry) =>
  registry.calls.filter((call) => call.op === 'putManifest' || call.op === 'putBlob' || call.op === 'deleteManifest');

describe('RegistryApiTagDeleter', () => {
  it('deletes one tag of a shared image through a placeholder: the other tags and the image stay', async () => {
    const registry = new MemoryRegistry();
    const image = registry.addImage(REPO, ['1.11.x', '1.11.x-2026-11-27', '1.11.x-2026-11-26'], {}).digest;
    await new RegistryApiTagDeleter(registry).deleteTags(REPO, ['1.11.x-2026-11-26']);
    expect(registry.tagsOf(REPO)).toEqual({ '1.11.x': image, '1.11.x-2026-11-27': image });
    expect(registry.hasManifest(REPO, image)).toBe(true);
  });

  it('deletes a manifest built in this run outright', async () => {
    const registry = new MemoryRegistry();
    const fresh = registry.addImage(REPO, ['master-2026-11-27'], {}).digest;
    await new RegistryApiTagDeleter(registry).deleteTags(REPO, ['master-2026-11-27'], new Set([fresh]));
    expect(registry.tagsOf(REPO)).toEqual({});
    expect(registry.hasManifest(REPO, fresh)).toBe(false);
    expect(writesOf(registry).map((call) => call.op)).toEqual(['deleteManifest']);
  });

  it.each([
    ['shared with other tags', false],
    ['built in this run', true],
  ])('where deletes are refused, a tag %s stays where it was and nothing is written', async (_, exclusive) => {
    const registry = new MemoryRegistry({ deleteEnabled: false });
    const image = registry.addImage(REPO, ['1.11.x', '1.11.x-2026-11-27'], {}).digest;
    const deleting = new RegistryApiTagDeleter(registry).deleteTags(
      REPO,
      ['1.11.x-2026-11-27'],
      exclusive ? new Set([image]) : new Set(),
    );
    await expect(deleting).rejects.toThrow(DeletesRefusedError);
    await expect(deleting).rejects.toThrow(
      /the registry refuses deletes in memory\.test\/ns\/mini, so 1\.11\.x-2026-11-27 stays/,
    );
    expect(registry.tagsOf(REPO)).toEqual({ '1.11.x': image, '1.11.x-2026-11-27': image });
    expect(writesOf(registry).filter((call) => call.op !== 'deleteManifest')).toEqual([]);
  });

  it('puts the tag back on its image when the delete of the placeholder fails after all', async () => {
    const registry = new MemoryRegistry();
    const image = registry.addImage(REPO, ['1.11.x', 'old'], {}).digest;
    registry.intercept = (call) => {
      if (call.op === 'deleteManifest' && !/^sha256:0+$/.test(call.reference))
        throw new Error('500 Internal Server Error');
    };
    await expect(new RegistryApiTagDeleter(registry).deleteTags(REPO, ['old'])).rejects.toThrow(
      '500 Internal Server Error',
    );
    expect(registry.tagsOf(REPO)).toEqual({ '1.11.x': image, old: image });
  });
});
