import { describe, expect, it } from 'vitest';
import { StreamLogger } from '../../../pipeline/log.js';
import type { Manifest } from '../../../pipeline/ports.js';
import { Redactor } from '../../../pipeline/redact.js';
import { rollBack, WriteLog } from '../../../pipeline/publish/rollback.js';
import { MemoryRegistry } from '../../helpers/memory-registry.js';
import { BufferSink } from '../../helpers/runtime.js';

// The rollback undoes only what this run wrote (compare-and-swap against the write log), and never
// leaves a tag on anything but what it held before or the image this run tested.

const REPO = 'ns/mini';
const at = (tag: string): string => `r.test/${REPO}:${tag}`;

function setup(options: { deleteEnabled?: boolean } = {}) {
  const registry = new MemoryRegistry({ host: 'r.test', ...options });
  const sink = new BufferSink();
  return { registry, sink, log: new StreamLogger({ sink, redactor: new Redactor() }), writes: new WriteLog() };
}

function manifestOf(registry: MemoryRegistry, digest: string): Manifest {
  return registry.manifestOf(REPO, digest) as Manifest;
}

describe('rollBack', () => {
  it('restores what it moved, deletes what it added, and leaves every tag it did not write', async () => {
    const { registry, log, writes } = setup();
    const yesterday = registry.addImage(REPO, ['1.11.x', 'stable'], { night: '26' }).digest;
    const snapshot = new Map([
      [at('1.11.x-2026-11-27'), undefined],
      [at('1.11.x'), manifestOf(registry, yesterday)],
      [at('stable'), manifestOf(registry, yesterday)],
    ]);
    const today = registry.addImage(REPO, ['1.11.x-2026-11-27', '1.11.x'], { night: '27' }).digest;
    writes.pushed(at('1.11.x-2026-11-27'), today);
    writes.wrote(at('1.11.x'), today);
    // Not this run's: someone re-tagged stable meanwhile.
    const other = registry.addImage(REPO, ['stable'], { someone: 'else' }).digest;

    const outcome = await rollBack(snapshot, writes, registry, log);
    expect(outcome.lines).toEqual([`restored ${at('1.11.x')} to ${yesterday}`, `deleted ${at('1.11.x-2026-11-27')}`]);
    expect(outcome.problems).toEqual([]);
    expect(registry.tagsOf(REPO)).toEqual({ '1.11.x': yesterday, stable: other });
  });

  it('leaves a tag another writer deleted, and says so', async () => {
    const { registry, log, writes } = setup();
    const today = registry.addImage(REPO, ['master'], { night: '27' }).digest;
    writes.wrote(at('master'), today);
    const yesterday = registry.addImage('ns/other', ['x'], {}).digest;
    await registry.deleteManifest(REPO, today);
    const outcome = await rollBack(
      new Map([
        [
          at('master'),
          manifestOf(registry, yesterday) ?? { digest: yesterday, mediaType: '', bytes: Buffer.from('{}') },
        ],
      ]),
      writes,
      registry,
      log,
    );
    expect(outcome.lines).toEqual([
      `left ${at('master')}: it is gone, which this run did not do (another writer deleted it)`,
    ]);
    expect(registry.tagsOf(REPO)).toEqual({});
  });

  it('where deletes are refused: writes nothing, leaves the new tag on the tested image and names it', async () => {
    const { registry, log, writes, sink } = setup({ deleteEnabled: false });
    const tested = registry.addImage(REPO, ['1.11.x', '1.11.x-2026-11-27'], { tested: 'yes' }).digest;
    writes.wrote(at('1.11.x-2026-11-27'), tested);
    const snapshot = new Map([
      [at('1.11.x-2026-11-27'), undefined],
      [at('1.11.x'), manifestOf(registry, tested)],
    ]);
    const outcome = await rollBack(snapshot, writes, registry.forCleanup(), log);

    expect(registry.tagsOf(REPO)).toEqual({ '1.11.x': tested, '1.11.x-2026-11-27': tested });
    expect(registry.calls.filter((call) => call.op === 'putManifest' || call.op === 'putBlob')).toEqual([]);
    expect(outcome.left).toEqual(new Map([[at('1.11.x-2026-11-27'), tested]]));
    expect(outcome.problems).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${at('1.11.x-2026-11-27').replace(/\./g, '\\.')} stays on the tested image ${tested}, which this run published: the registry refuses deletes`,
        ),
      ),
    ]);
    expect(sink.text).toMatch(/^error: r\.test\/ns\/mini:1\.11\.x-2026-11-27 stays on the tested image/m);
  });

  it('judges by reading back: a restore whose answer never came but that landed is confirmed', async () => {
    const { registry, log, writes } = setup();
    const yesterday = registry.addImage(REPO, ['master'], { night: '26' }).digest;
    const snapshot = new Map([[at('master'), manifestOf(registry, yesterday)]]);
    const today = registry.addImage(REPO, ['master'], { night: '27' }).digest;
    writes.wrote(at('master'), today);
    const landedThenLost = registry.forCleanup();
    let first = true;
    registry.intercept = (call) => {
      if (call.op === 'putManifest' && first) {
        first = false;
        // The PUT lands; its answer is lost.
        registry.setTag(REPO, 'master', yesterday);
        throw new Error('r.test did not answer within 15s');
      }
    };
    const outcome = await rollBack(snapshot, writes, landedThenLost, log);
    expect(outcome.lines).toEqual([`put back ${at('master')} (confirmed by reading it back)`]);
    expect(outcome.problems).toEqual([]);
  });

  it('names every tag it could not check or put back', async () => {
    const { registry, log, writes } = setup();
    const today = registry.addImage(REPO, ['master-2026-11-27'], {}).digest;
    writes.pushed(at('master-2026-11-27'), today);
    registry.intercept = () => {
      throw new Error('cannot reach r.test: connect ECONNREFUSED');
    };
    const outcome = await rollBack(new Map([[at('master-2026-11-27'), undefined]]), writes, registry, log);
    expect(outcome.problems).toEqual([
      `the registry may be left half-published: could not check or put back ${at('master-2026-11-27')}: ` +
        `cannot reach r.test: connect ECONNREFUSED`,
    ]);
  });
});
