import { describe, expect, it } from 'vitest';
import type { PlannedBranch } from '../../../pipeline/plan/plan.js';
import { BranchFailure } from '../../../pipeline/errors.js';
import { pushBranch } from '../../../pipeline/publish/push.js';
import { builtSources, fakeRun, registryFailure, HOST, NAMESPACE, planOf, sha } from '../../helpers/fake-run.js';
import type { Call } from '../../helpers/memory-registry.js';

// pushBranch on its own, through its ports: the order of writes, what it returns, and the rollback
// when it fails part-way, on the registry client meant for cleaning up.

const ref = (image: string, tag: string): string => `${HOST}/${NAMESPACE}/${image}:${tag}`;
const repo = (image: string): string => `${NAMESPACE}/${image}`;
const master = planOf([{ branch: 'master', sha: sha(1) }]).branches[0] as PlannedBranch;
const release = planOf([{ branch: '1.11.x', sha: sha(2), releaseTag: '1.11.0' }]).branches[0] as PlannedBranch;

describe('pushBranch', () => {
  it('pushes every dated tag, then moves floating and latest, reads them back and returns the digests', async () => {
    const run = fakeRun();
    const result = await pushBranch(master, await builtSources(run, master), run.deps);

    expect(result.failure).toBeUndefined();
    expect(result.rollback).toBeUndefined();
    expect(result.images.map((image) => [image.name, image.tags])).toEqual([
      ['base', [ref('base', 'master-2026-11-27'), ref('base', 'master'), ref('base', 'latest')]],
      ['app', [ref('app', 'master-2026-11-27'), ref('app', 'master'), ref('app', 'latest')]],
    ]);
    const writes = run.registry.calls.filter((call) => call.op === 'putManifest');
    expect(writes.map((call) => `${call.client} ${call.repository}:${call.reference}`)).toEqual([
      `engine ${repo('base')}:master-2026-11-27`,
      `engine ${repo('app')}:master-2026-11-27`,
      `run ${repo('base')}:master`,
      `run ${repo('base')}:latest`,
      `run ${repo('app')}:master`,
      `run ${repo('app')}:latest`,
    ]);
    for (const image of result.images)
      for (const tag of ['master-2026-11-27', 'master', 'latest'])
        expect(run.registry.tagsOf(repo(image.name))[tag]).toBe(image.digest);
  });

  it('re-tags a reused image by manifest: the engine pushes nothing', async () => {
    const run = fakeRun();
    const published = run.registry.addImage(repo('base'), ['1.11.x', '1.11.0'], { v: '1' });
    const manifest = run.registry.manifestOf(repo('base'), published.digest);
    const sources = await builtSources(run, release);
    sources.set('base', { kind: 'reused', manifest: manifest as NonNullable<typeof manifest> });
    const result = await pushBranch(release, sources, run.deps);

    expect(result.failure).toBeUndefined();
    expect(run.engine.pushes).toEqual([ref('app', '1.11.x-2026-11-27')]);
    expect(run.registry.tagsOf(repo('base'))).toEqual({
      '1.11.0': published.digest,
      '1.11.x': published.digest,
      '1.11.x-2026-11-27': published.digest,
    });
    // The floating and version tags already held it: only the dated tag was written.
    expect(
      run.registry.calls.filter((call) => call.op === 'putManifest' && call.repository === repo('base')),
    ).toHaveLength(1);
  });

  it('fails part-way: names the step and image, undoes exactly what it wrote, returns no tags', async () => {
    const run = fakeRun();
    const yesterday = run.registry.addImage(repo('base'), ['master', 'latest'], { night: 'before' });
    const before = run.registry.state();
    run.registry.intercept = (call) => {
      if (call.op === 'putManifest' && call.repository === repo('app') && call.reference === 'latest')
        throw registryFailure(400);
    };
    const result = await pushBranch(master, await builtSources(run, master), run.deps);

    expect(result.failure).toBeInstanceOf(BranchFailure);
    expect(result.failure).toMatchObject({ step: 'retag', image: 'app', message: '400 from the registry' });
    expect(run.registry.state()).toEqual(before);
    expect(result.rollback).toEqual([
      `restored ${ref('base', 'latest')} to ${yesterday.digest}`,
      `restored ${ref('base', 'master')} to ${yesterday.digest}`,
      `deleted ${ref('app', 'master')}`,
      `deleted ${ref('app', 'master-2026-11-27')}`,
      `deleted ${ref('base', 'master-2026-11-27')}`,
    ]);
    expect(result.images.map((image) => image.tags)).toEqual([[], []]);
  });

  it('interrupted mid-push: the rollback runs on the cleanup client, since the run client is stopped', async () => {
    const run = fakeRun();
    const yesterday = run.registry.addImage(repo('base'), ['master'], { night: 'before' });
    const before = run.registry.state();
    let abortedAt = -1;
    run.registry.intercept = (call: Call) => {
      if (call.client === 'run' && call.op === 'putManifest' && call.repository === repo('app')) {
        abortedAt = run.registry.calls.length;
        run.controller.abort(new Error('interrupted by SIGINT'));
        throw run.controller.signal.reason;
      }
    };
    const result = await pushBranch(master, await builtSources(run, master), run.deps);

    expect(result.failure).toMatchObject({ message: 'interrupted by SIGINT' });
    expect(run.registry.state()).toEqual(before);
    const afterSignal = run.registry.calls.slice(abortedAt);
    expect(afterSignal.length).toBeGreaterThan(0);
    expect(afterSignal.every((call) => call.client === 'cleanup')).toBe(true);
    expect(result.rollback).toContain(`restored ${ref('base', 'master')} to ${yesterday.digest}`);
  });

  it('snapshots right before its first push, and leaves what another writer moved after its own write', async () => {
    const run = fakeRun();
    run.registry.addImage(repo('base'), ['master'], { night: 'before' });
    let theirs = '';
    run.registry.intercept = (call) => {
      if (call.op !== 'putManifest' || call.repository !== repo('app') || call.reference !== 'latest') return;
      // base:master is this run's by now; another publish moves it, then this run fails.
      theirs = run.registry.addImage(repo('base'), ['master'], { 'org.opencontainers.image.revision': sha(7) }).digest;
      throw registryFailure(400);
    };
    const result = await pushBranch(master, await builtSources(run, master), run.deps);

    expect(run.registry.tagsOf(repo('base')).master).toBe(theirs);
    expect(result.rollback).toContain(
      `left ${ref('base', 'master')}: it points at ${theirs}, which this run did not write (another ` +
        `writer moved it, to an image of revision 777777777777)`,
    );
    expect(run.stderr.text).toContain(`[master] warning: left ${ref('base', 'master')}`);
  });

  it('pushes nothing once the run is interrupted, and needs no rollback', async () => {
    const run = fakeRun();
    const sources = await builtSources(run, master);
    run.controller.abort(new Error('interrupted by SIGTERM'));
    const result = await pushBranch(master, sources, run.deps);
    expect(result).toEqual({ images: [], failure: new Error('interrupted by SIGTERM') });
    expect(run.registry.calls).toEqual([]);
  });

  it("an engine push whose manifest landed although the push failed: recognised as this run's and undone", async () => {
    const run = fakeRun();
    const sources = await builtSources(run, master);
    // The manifest PUT of app's dated tag lands, then the engine reports the push failed.
    run.engine.failPush = () => undefined;
    let landed = false;
    run.registry.intercept = (call) => {
      if (call.client === 'engine' && call.op === 'putManifest' && call.repository === repo('app')) landed = true;
    };
    const original = run.engine.push.bind(run.engine);
    run.engine.push = async (...args) => {
      const digest = await original(...args);
      if (args[0].repository === repo('app')) throw Object.assign(new Error('unexpected EOF'), { digest });
      return digest;
    };
    const result = await pushBranch(master, sources, run.deps);

    expect(landed).toBe(true);
    expect(result.failure).toMatchObject({ step: 'push', image: 'app' });
    expect(run.registry.state()).toEqual({});
    expect(result.rollback).toEqual([
      `deleted ${ref('app', 'master-2026-11-27')}`,
      `deleted ${ref('base', 'master-2026-11-27')}`,
    ]);
  });
  // A registry acts on a PUT it received even when the client stopped waiting for its answer: such
  // a write can land after the rollback read the tag. It must still be undone, and a whole-manifest
  // delete must not take a tag along that was put back (or is about to land) on the same image.
  it('a PUT whose answer never came that lands after the rollback read its tag: every tag ends as before', async () => {
    const run = fakeRun();
    const yesterday = run.registry.addImage(repo('base'), ['master'], { night: 'before' });
    const before = run.registry.state();
    let late: (() => void) | undefined;
    run.registry.intercept = (call: Call) => {
      if (call.client === 'run' && call.op === 'putManifest' && call.reference === 'master') {
        const digest = call.digest as string;
        late = () => run.registry.setTag(call.repository, 'master', digest);
        run.controller.abort(new Error('interrupted by SIGINT'));
        throw run.controller.signal.reason;
      }
      // The registry acts on it only now, after the rollback read base:master as it was.
      if (call.client === 'cleanup' && call.op !== 'digestOf' && call.op !== 'getManifest' && late) {
        late();
        late = undefined;
      }
    };
    const result = await pushBranch(master, await builtSources(run, master), run.deps);

    expect(result.failure).toMatchObject({ message: 'interrupted by SIGINT' });
    expect(run.registry.state()).toEqual(before);
    expect(run.registry.tagsOf(repo('base')).master).toBe(yesterday.digest);
    expect(result.rollback).toEqual([
      `deleted ${ref('app', 'master-2026-11-27')}`,
      `deleted ${ref('base', 'master-2026-11-27')}`,
      `restored ${ref('base', 'master')} to ${yesterday.digest} (this run's write landed after it was first read)`,
    ]);
  });
});
