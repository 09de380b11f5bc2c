import { describe, expect, it } from 'vitest';
import { BranchFailure } from '../../../pipeline/errors.js';
import type { PlannedBranch } from '../../../pipeline/plan/plan.js';
import type { Clock, Registry } from '../../../pipeline/ports.js';
import { CLEANUP_TIMEOUT_MS, INTERRUPTED_CLEANUP_TIMEOUT_MS, pushBranch } from '../../../pipeline/publish/push.js';
import {
  builtSources,
  failRunPut,
  fakeRun,
  registryFailure,
  HOST,
  instantClock,
  NAMESPACE,
  planOf,
  sha,
  type FakeRun,
} from '../../helpers/fake-run.js';

// pushBranch at its edges, found by mutation testing (MUTATION.md): what it says on stderr, the
// deadlines and the wait of its rollback, and the failures before and after the pushes.

const ref = (image: string, tag: string): string => `${HOST}/${NAMESPACE}/${image}:${tag}`;
const repo = (image: string): string => `${NAMESPACE}/${image}`;
const master = planOf([{ branch: 'master', sha: sha(1) }]).branches[0] as PlannedBranch;
const DIGEST = /sha256:[0-9a-f]{12}/.source;

/** The deadlines `forCleanup` was asked for, and a way to make it fail. */
function watchCleanup(run: FakeRun, refuse?: Error): number[] {
  const asked: number[] = [];
  const original = run.registry.forCleanup.bind(run.registry);
  // The memory registry has one cleanup client for any deadline: its forCleanup takes none.
  Object.assign(run.registry, {
    forCleanup: (timeoutMs: number): Registry => {
      asked.push(timeoutMs);
      if (refuse) throw refuse;
      return original();
    },
  });
  return asked;
}

/** The sleeps of the run's clock, in ms. */
function watchSleeps(run: FakeRun): number[] {
  const slept: number[] = [];
  const clock: Clock = { ...instantClock, sleep: (ms, signal) => (slept.push(ms), instantClock.sleep(ms, signal)) };
  run.deps.clock = clock;
  return slept;
}

describe('pushBranch, what it says', () => {
  it('says per image what it pushed, with the digest and the time, and which tags it moved', async () => {
    const run = fakeRun();
    await pushBranch(master, await builtSources(run, master), run.deps);
    const text = run.stderr.text;
    expect(text).toMatch(
      new RegExp(`\\[base@master\\] pushed ${ref('base', 'master-2026-11-27')} \\(${DIGEST}\\) in \\d+\\.\\ds\\n`),
    );
    expect(text).toMatch(
      new RegExp(`\\[app@master\\] pushed ${ref('app', 'master-2026-11-27')} \\(${DIGEST}\\) in \\d+\\.\\ds\\n`),
    );
    expect(text).toContain(`[base@master] tagged ${ref('base', 'master')}, ${ref('base', 'latest')}\n`);
    expect(text).toContain(`[app@master] tagged ${ref('app', 'master')}, ${ref('app', 'latest')}\n`);
  });

  it('says "tagged" for an image it re-tagged by manifest, and moves no tag that holds it already', async () => {
    const run = fakeRun();
    const published = run.registry.addImage(repo('base'), ['master', 'latest'], { v: '1' });
    const manifest = run.registry.manifestOf(repo('base'), published.digest);
    const sources = await builtSources(run, master);
    sources.set('base', { kind: 'reused', manifest: manifest as NonNullable<typeof manifest> });
    await pushBranch(master, sources, run.deps);
    const baseLines = run.stderr.text.split('\n').filter((line) => line.startsWith('[base@master] '));
    // One line: the dated tag; the floating and latest tags held it already.
    expect(baseLines).toHaveLength(1);
    expect(baseLines[0]).toMatch(
      new RegExp(
        `^\\[base@master\\] tagged ${ref('base', 'master-2026-11-27')} ` +
          `\\(${published.digest.slice(0, 19)}\\) in \\d+\\.\\ds$`,
      ),
    );
  });
});

describe('pushBranch, failing', () => {
  it('without a registry client: fails at once, naming what is missing', async () => {
    const run = fakeRun();
    const result = await pushBranch(master, await builtSources(run, master), { ...run.deps, registry: undefined });
    expect(result).toEqual({
      images: [],
      failure: new BranchFailure('push', undefined, 'no registry client to push with'),
    });
    expect(result.failure).toMatchObject({ step: 'push', message: 'no registry client to push with' });
    expect(run.engine.pushes).toEqual([]);
  });

  it('when the snapshot cannot be read: pushes nothing and has nothing to roll back', async () => {
    const run = fakeRun();
    const sources = await builtSources(run, master);
    const refused = registryFailure(503);
    run.registry.intercept = () => {
      throw refused;
    };
    const result = await pushBranch(master, sources, run.deps);
    expect(result).toEqual({ images: [], failure: refused });
    expect(run.engine.pushes).toEqual([]);
  });

  it('an image without a source: a push failure naming it, and the images before it undone', async () => {
    const run = fakeRun();
    const sources = await builtSources(run, master);
    sources.delete('app');
    const result = await pushBranch(master, sources, run.deps);
    expect(result.failure).toMatchObject({ step: 'push', image: 'app', message: 'nothing to publish for app' });
    expect(result.rollback).toEqual([`deleted ${ref('base', 'master-2026-11-27')}`]);
    expect(run.registry.state()).toEqual({});
  });

  it('rolls back within 15 s after a failure, and within 6 s once the run is interrupted', async () => {
    expect([CLEANUP_TIMEOUT_MS, INTERRUPTED_CLEANUP_TIMEOUT_MS]).toEqual([15_000, 6000]);

    const failed = fakeRun();
    const failedAsked = watchCleanup(failed);
    failRunPut(failed, 'latest', registryFailure(400));
    await pushBranch(master, await builtSources(failed, master), failed.deps);
    expect(failedAsked).toEqual([15_000]);

    const stopped = fakeRun();
    const stoppedAsked = watchCleanup(stopped);
    stopped.registry.intercept = (call) => {
      if (call.op === 'putManifest' && call.client === 'run') {
        stopped.controller.abort(new Error('interrupted by SIGINT'));
        throw stopped.controller.signal.reason;
      }
    };
    await pushBranch(master, await builtSources(stopped, master), stopped.deps);
    expect(stoppedAsked).toEqual([6000]);
  });

  it('waits 2 s for a manifest the engine may still land before it rolls back an engine push, only then', async () => {
    const pushFails = fakeRun();
    const slept = watchSleeps(pushFails);
    const sources = await builtSources(pushFails, master);
    pushFails.engine.failPush = (reference) =>
      reference.includes('/app:') ? Object.assign(new Error('unexpected EOF'), { status: 400 }) : undefined;
    const failedPush = await pushBranch(master, sources, pushFails.deps);
    expect(failedPush.failure).toMatchObject({ step: 'push', image: 'app' });
    expect(slept.filter((ms) => ms === 2000)).toHaveLength(1);

    // The engine pushes went through; a tag move failed: nothing of the engine's can still land.
    const retagFails = fakeRun();
    const sleptAfterRetag = watchSleeps(retagFails);
    failRunPut(retagFails, 'latest', registryFailure(400));
    const failedRetag = await pushBranch(master, await builtSources(retagFails, master), retagFails.deps);
    expect(failedRetag.failure).toMatchObject({ step: 'retag' });
    expect(sleptAfterRetag).toEqual([]);
  });

  it('a rollback that cannot start: says the registry may be left half-published, and why', async () => {
    const run = fakeRun();
    watchCleanup(run, new Error('no client for cleaning up'));
    failRunPut(run, 'latest', registryFailure(400));
    const result = await pushBranch(master, await builtSources(run, master), run.deps);
    const problem = 'the registry may be left half-published: no client for cleaning up';
    expect(result.rollback).toEqual([problem]);
    expect(run.stderr.text).toContain(`[master] error: ${problem}\n`);
    expect(run.stderr.text).toContain(`[master] warning: undoing what this run wrote to the tags of master\n`);
    // Nothing is known to be left where it was: no tag is claimed.
    expect(result.images.map((image) => image.tags)).toEqual([[], []]);
  });

  it('reads every tag back: one another writer moved in between fails the branch at verify', async () => {
    const run = fakeRun();
    let theirs = '';
    let moved = 0;
    run.registry.intercept = (call) => {
      if (call.op === 'putManifest' && call.client === 'run') moved += 1;
      // All four tags moved: the next read is the read-back.
      if (call.op === 'digestOf' && call.client === 'run' && moved === 4 && !theirs)
        theirs = run.registry.addImage(repo('base'), ['latest'], { other: 'writer' }).digest;
    };
    const result = await pushBranch(master, await builtSources(run, master), run.deps);
    const base = result.images[0];
    expect(result.failure).toMatchObject({ step: 'verify', image: 'base' });
    expect((result.failure as Error).message).toMatch(
      new RegExp(`^${ref('base', 'latest')} points at ${theirs}, expected sha256:[0-9a-f]{64}$`),
    );
    expect(base?.tags).not.toContain(ref('base', 'latest'));
  });
});

describe('pushBranch, what a failed push leaves', () => {
  it('returns the tags the registry would not let it take back, each on the image it holds', async () => {
    const run = fakeRun({ deleteEnabled: false });
    failRunPut(run, 'latest', registryFailure(400));
    const result = await pushBranch(master, await builtSources(run, master), run.deps);
    expect(result.failure).toMatchObject({ step: 'retag' });
    // Deletes refused: the new tags stay on this run's tested images (base's master was new too,
    // moved before app's latest failed); nothing else is claimed.
    expect(result.images.map((image) => [image.name, image.tags])).toEqual([
      ['base', [ref('base', 'master-2026-11-27'), ref('base', 'master')]],
      ['app', [ref('app', 'master-2026-11-27')]],
    ]);
    for (const image of result.images)
      for (const reference of image.tags)
        expect(run.registry.state()[reference.slice(HOST.length + 1)]).toBe(image.digest);
  });
});
