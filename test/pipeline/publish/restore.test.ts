import { describe, expect, it } from 'vitest';
import { StreamLogger } from '../../../pipeline/log.js';
import type { PlannedBranch } from '../../../pipeline/plan/plan.js';
import { restoreSnapshot, type Snapshot } from '../../../pipeline/publish/push.js';
import { Redactor } from '../../../pipeline/redact.js';
import type { TagDeleter } from '../../../pipeline/registry/tag-deleter.js';
import { MemoryRegistry } from '../../helpers/memory-registry.js';
import { BufferSink } from '../../helpers/runtime.js';

const IMAGE = 'application/vnd.oci.image.manifest.v1+json';
const branch = {
  branch: '1.11.x',
  images: [{ name: 'mini', tags: ['r.io/ns/mini:1.11.x-2026-11-27', 'r.io/ns/mini:1.11.x', 'r.io/ns/mini:1.11.0'] }],
} as PlannedBranch;

class RecordingDeleter implements TagDeleter {
  readonly deleted: string[] = [];
  private readonly registry: MemoryRegistry;
  constructor(registry: MemoryRegistry) {
    this.registry = registry;
  }
  deleteTags(_repository: string, tags: readonly string[]): Promise<void> {
    for (const tag of tags) {
      this.deleted.push(tag);
      this.registry.tags.delete(tag);
    }
    return Promise.resolve();
  }
}

describe('restoreSnapshot', () => {
  it('puts moved tags back, deletes new ones with the deleter it is given, and leaves untouched ones', async () => {
    const registry = new MemoryRegistry();
    const yesterday = registry.add('1.11.x', IMAGE, { build: 'yesterday' });
    const old = registry.manifests.get(yesterday);
    const snapshot: Snapshot = new Map([
      ['r.io/ns/mini:1.11.x-2026-11-27', undefined],
      ['r.io/ns/mini:1.11.x', old],
      ['r.io/ns/mini:1.11.0', undefined],
    ]);
    // The failed run: today's dated tag and the floating tag moved to a new image; 1.11.0 not yet.
    const today = registry.add('1.11.x-2026-11-27', IMAGE, { build: 'today' });
    registry.tags.set('1.11.x', today);
    const deleter = new RecordingDeleter(registry);
    const sink = new BufferSink();
    const result = await restoreSnapshot(
      branch,
      snapshot,
      registry,
      new Set([today]),
      new StreamLogger({ sink, redactor: new Redactor() }),
      deleter,
    );
    expect(result).toEqual({
      actions: ['deleted r.io/ns/mini:1.11.x-2026-11-27', `restored r.io/ns/mini:1.11.x to ${yesterday}`],
    });
    expect(deleter.deleted).toEqual(['1.11.x-2026-11-27']);
    expect(Object.fromEntries(registry.tags)).toEqual({ '1.11.x': yesterday });
    expect(sink.text).toContain('warning: deleted r.io/ns/mini:1.11.x-2026-11-27');
  });

  it('names every tag it could not put back', async () => {
    const registry = new MemoryRegistry();
    registry.add('1.11.x-2026-11-27', IMAGE, { build: 'today' });
    const failing: TagDeleter = { deleteTags: () => Promise.reject(new Error('405 Method Not Allowed (UNSUPPORTED)')) };
    const result = await restoreSnapshot(
      branch,
      new Map([['r.io/ns/mini:1.11.x-2026-11-27', undefined]]),
      registry,
      new Set(),
      new StreamLogger({ sink: new BufferSink(), redactor: new Redactor() }),
      failing,
    );
    expect(result.problem).toBe(
      'could not check or put back r.io/ns/mini:1.11.x-2026-11-27: 405 Method Not Allowed (UNSUPPORTED)',
    );
  });
});
