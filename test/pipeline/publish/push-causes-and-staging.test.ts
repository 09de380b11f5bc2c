import { describe, expect, it } from 'vitest';
import { StreamLogger } from '../../../pipeline/log.js';
import type { PlannedBranch } from '../../../pipeline/plan/plan.js';
import type { Manifest } from '../../../pipeline/ports.js';
import { makeIndex } from '../../../pipeline/publish/image-index.js';
import { engineOutput, pushBranch, type Source } from '../../../pipeline/publish/push.js';
import { Redactor } from '../../../pipeline/redact.js';
import {
  builtPlatforms,
  builtSources,
  failRunPut,
  fakeRun,
  instantClock,
  MULTI_PLATFORM_FAMILY,
  NAMESPACE,
  planOf,
  registryFailure,
  sha,
  type FakeRun,
} from '../../helpers/fake-run.js';
import { BufferSink } from '../../helpers/runtime.js';

// pushBranch where Stryker's run over the whole of push.ts found no test (MUTATION.md): the error
// a failure keeps as its cause, the wait for the engine only after an engine push, a staged index
// (is it this run's to delete?), and the engine's singular "Retrying in 1 second".

const repo = (image: string): string => `${NAMESPACE}/${image}`;
const single = planOf([{ branch: 'master', sha: sha(1) }]).branches[0] as PlannedBranch;
const multi = planOf([{ branch: 'master', sha: sha(1) }], '2026-11-27', MULTI_PLATFORM_FAMILY)
  .branches[0] as PlannedBranch;
const PLATFORMS = ['linux/amd64', 'linux/arm64'];

/** Each image's platform manifests already in the registry, as the stage jobs leave them. */
function stagedSources(run: FakeRun, branch: PlannedBranch): Map<string, Source> {
  const sources = new Map<string, Source>();
  for (const image of branch.images) {
    const entries = PLATFORMS.map((platform) => {
      const arch = platform.split('/')[1] ?? '';
      const staged = run.registry.addImage(repo(image.name), [`stage-${arch}`], { image: image.name, platform });
      return { platform, manifest: run.registry.manifestOf(repo(image.name), staged.digest) as Manifest };
    });
    sources.set(image.name, { kind: 'staged', entries });
  }
  return sources;
}

/** Fails the PUT of app's `latest`: after both dated tags and base's tags went in. */
const failAppLatest = (run: FakeRun): void => failRunPut(run, 'latest', registryFailure(400), repo('app'));

describe('pushBranch keeps what went wrong as the cause of its failure', () => {
  it('a manifest PUT the registry refused', async () => {
    const run = fakeRun();
    const refusal = registryFailure(400);
    failRunPut(run, 'latest', refusal);
    const result = await pushBranch(single, await builtSources(run, single), run.deps);
    expect(result.failure).toMatchObject({ step: 'retag', image: 'base' });
    expect((result.failure as Error).cause).toBe(refusal);
  });

  it('the engine refusing to tag the image for its push: a push failure naming the image', async () => {
    const run = fakeRun();
    const refusal = new Error('No such image: sha256:0123');
    run.engine.tagImage = () => Promise.reject(refusal);
    const result = await pushBranch(single, await builtSources(run, single), run.deps);
    expect(result.failure).toMatchObject({ step: 'push', image: 'base', message: 'No such image: sha256:0123' });
    expect((result.failure as Error).cause).toBe(refusal);
    expect(run.engine.pushes).toEqual([]);
  });

  it('an engine push that failed, and a platform push that failed', async () => {
    for (const branch of [single, multi]) {
      const run = fakeRun();
      const sources = branch === single ? await builtSources(run, branch) : await builtPlatforms(run, branch);
      const cut = new Error('unexpected EOF');
      run.engine.push = () => Promise.reject(cut);
      const result = await pushBranch(branch, sources, run.deps);
      expect(result.failure).toMatchObject({ step: 'push', image: 'base' });
      expect((result.failure as Error).cause).toBe(cut);
    }
  });
});

describe('pushBranch waits for the engine only after an engine push', () => {
  it('a failure with only re-tagged images: no 2 s wait before the rollback', async () => {
    const run = fakeRun();
    const sources = new Map<string, Source>();
    for (const image of single.images) {
      const published = run.registry.addImage(repo(image.name), ['yesterday'], { v: image.name });
      sources.set(image.name, {
        kind: 'reused',
        manifest: run.registry.manifestOf(repo(image.name), published.digest) as Manifest,
      });
    }
    failAppLatest(run);
    const slept: number[] = [];
    run.deps.clock = { ...instantClock, sleep: (ms, signal) => (slept.push(ms), instantClock.sleep(ms, signal)) };
    const result = await pushBranch(single, sources, run.deps);
    expect(result.failure).toMatchObject({ step: 'retag', image: 'app' });
    expect(run.engine.pushes).toEqual([]);
    expect(slept).toEqual([]);
  });
});

describe('pushBranch, a staged multi-platform image', () => {
  it('puts the index of the staged platforms and returns each platform digest', async () => {
    const run = fakeRun();
    const sources = stagedSources(run, multi);
    const result = await pushBranch(multi, sources, run.deps);
    expect(result.failure).toBeUndefined();
    const base = sources.get('base') as Extract<Source, { kind: 'staged' }>;
    expect(result.images[0]).toMatchObject({
      name: 'base',
      digest: makeIndex(base.entries).digest,
      platforms: base.entries.map((entry) => ({ platform: entry.platform, digest: entry.manifest.digest })),
    });
  });

  it('a single staged image has no platforms in what it returns', async () => {
    const run = fakeRun();
    const staged = run.registry.addImage(repo('base'), ['stage-amd64'], { v: '1' });
    const manifest = run.registry.manifestOf(repo('base'), staged.digest) as Manifest;
    const sources = await builtSources(run, single);
    sources.set('base', { kind: 'staged', entries: [{ platform: 'linux/amd64', manifest }] });
    const result = await pushBranch(single, sources, run.deps);
    expect(result.failure).toBeUndefined();
    expect(result.images[0]).not.toHaveProperty('platforms');
  });

  it('a failure after the indexes went in: the rollback deletes the indexes this run made', async () => {
    const run = fakeRun();
    const sources = stagedSources(run, multi);
    failAppLatest(run);
    const result = await pushBranch(multi, sources, run.deps);
    expect(result.failure).toMatchObject({ step: 'retag', image: 'app' });
    for (const image of result.images) expect(run.registry.hasManifest(repo(image.name), image.digest)).toBe(false);
    // The platforms' own manifests stay: the stage jobs made them, and the stage tags name them.
    for (const [name, source] of sources)
      if (source.kind === 'staged')
        for (const entry of source.entries)
          expect(run.registry.hasManifest(repo(name), entry.manifest.digest)).toBe(true);
  });

  it('an index a tag of the branch held before the run is not this run’s: the rollback keeps it', async () => {
    const run = fakeRun();
    const sources = stagedSources(run, multi);
    // An earlier run of this branch published the very same index: base's floating tag holds it.
    const base = sources.get('base') as Extract<Source, { kind: 'staged' }>;
    const index = makeIndex(base.entries);
    await run.registry.putManifest(repo('base'), 'master', index);
    failAppLatest(run);
    const result = await pushBranch(multi, sources, run.deps);
    expect(result.failure).toMatchObject({ step: 'retag', image: 'app' });
    expect(run.registry.hasManifest(repo('base'), index.digest)).toBe(true);
    expect(run.registry.tagsOf(repo('base')).master).toBe(index.digest);
    // App's index was new: it goes.
    const app = result.images.find((image) => image.name === 'app');
    expect(run.registry.hasManifest(repo('app'), app?.digest ?? '')).toBe(false);
  });
});

describe('engineOutput', () => {
  it('warns of an engine retry counted down in seconds, and of one in a single second', () => {
    const sink = new BufferSink();
    const listen = engineOutput(new StreamLogger({ sink, redactor: new Redactor() }));
    listen('0123abcd: Retrying in 1 second');
    listen('4567cdef: Retrying in 5 seconds');
    expect(sink.text).toBe(
      'warning: the registry failed layer 0123abcd; the engine retries it in 1s\n' +
        'warning: the registry failed layer 4567cdef; the engine retries it in 5s\n',
    );
  });
});
