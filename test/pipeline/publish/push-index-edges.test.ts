import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../../pipeline/errors.js';
import type { PlannedBranch } from '../../../pipeline/plan/plan.js';
import type { Manifest } from '../../../pipeline/ports.js';
import { pushBranch, type Source } from '../../../pipeline/publish/push.js';
import type { Call } from '../../helpers/memory-registry.js';
import {
  builtPlatforms as builtPlatformsOf,
  builtSources,
  failRunPut,
  fakeRun,
  HOST,
  instantClock,
  MULTI_PLATFORM_FAMILY,
  NAMESPACE,
  planOf,
  registryFailure,
  sha,
  type FakeRun,
} from '../../helpers/fake-run.js';

// pushBranch's multi-platform and staged paths at their edges, found by mutation testing
// (MUTATION.md): a platform manifest gone right after the engine pushed it, an index read back as
// something else, a staged image with nothing staged, a manifest gone before the tags move.

const ref = (image: string, tag: string): string => `${HOST}/${NAMESPACE}/${image}:${tag}`;
const repo = (image: string): string => `${NAMESPACE}/${image}`;
const master = planOf([{ branch: 'master', sha: sha(1) }], '2026-11-27', MULTI_PLATFORM_FAMILY)
  .branches[0] as PlannedBranch;
const single = planOf([{ branch: 'master', sha: sha(1) }]).branches[0] as PlannedBranch;
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const DIGEST = /sha256:[0-9a-f]{64}/.source;

/** Each image of the multi-platform branch built for both platforms. */
const builtPlatforms = (run: FakeRun): Promise<Map<string, Source>> => builtPlatformsOf(run, master, PLATFORMS);

/** The stored manifests of a repository, to change behind the pipeline's back (another writer, a lost write). */
function manifests(run: FakeRun, image: string): Map<string, Manifest> {
  return (
    run.registry as unknown as { store: { repository(name: string): { manifests: Map<string, Manifest> } } }
  ).store.repository(repo(image)).manifests;
}

describe('pushBranch, multi-platform images', () => {
  it('says which platform it pushed as which digest, and returns every platform digest the index names', async () => {
    const run = fakeRun();
    const result = await pushBranch(master, await builtPlatforms(run), run.deps);
    expect(result.failure).toBeUndefined();
    for (const image of ['base', 'app']) {
      const pushed = result.images.find((candidate) => candidate.name === image);
      expect(pushed?.platforms?.map((platform) => platform.platform)).toEqual(PLATFORMS);
      for (const platform of pushed?.platforms ?? []) {
        expect(run.registry.hasManifest(repo(image), platform.digest)).toBe(true);
        expect(run.stderr.text).toContain(
          `[${image}@master] pushed ${platform.platform} as ${platform.digest.slice(0, 19)}\n`,
        );
      }
    }
  });

  it('a platform manifest gone right after the engine pushed it: a push failure naming it, nothing left', async () => {
    const run = fakeRun();
    run.registry.intercept = (call) => {
      // The run reads back what the engine pushed for base's arm64 image: lost meanwhile.
      if (call.op === 'getManifest' && call.client === 'run' && call.repository === repo('base')) {
        const arm64 = run.engine.pushes.length === 2;
        if (arm64) manifests(run, 'base').delete(call.reference);
      }
    };
    const result = await pushBranch(master, await builtPlatforms(run), run.deps);
    expect(result.failure).toMatchObject({ step: 'push', image: 'base' });
    expect((result.failure as Error).message).toMatch(
      new RegExp(
        `^${HOST}/${repo('base')}@${DIGEST} \\(linux/arm64\\) vanished from the registry right after the push$`,
      ),
    );
    expect(run.registry.state()).toEqual({});
  });

  it('a failure after the index went in: the rollback deletes the index this run made, whole', async () => {
    const run = fakeRun();
    failRunPut(run, 'latest', registryFailure(400));
    const slept: number[] = [];
    run.deps.clock = { ...run.deps.clock, sleep: (ms, signal) => (slept.push(ms), instantClock.sleep(ms, signal)) };
    const result = await pushBranch(master, await builtPlatforms(run), run.deps);
    expect(result.failure).toMatchObject({ step: 'retag', image: 'base' });
    // Every engine push was done: nothing of the engine's to wait for.
    expect(slept).toEqual([]);
    expect(run.registry.state()).toEqual({});
    for (const image of result.images) expect(run.registry.hasManifest(repo(image.name), image.digest)).toBe(false);
  });

  it("a platform push that landed although it failed: waited for, recognised as this run's, undone", async () => {
    const run = fakeRun();
    const sources = await builtPlatforms(run);
    const slept: number[] = [];
    run.deps.clock = { ...run.deps.clock, sleep: (ms, signal) => (slept.push(ms), instantClock.sleep(ms, signal)) };
    const original = run.engine.push.bind(run.engine);
    // App's arm64 manifest lands under the dated tag, then the engine reports the push failed.
    run.engine.push = async (...args) => {
      const digest = await original(...args);
      if (args[0].repository === repo('app') && run.engine.pushes.length === 4) throw new Error('unexpected EOF');
      return digest;
    };
    const result = await pushBranch(master, sources, run.deps);
    expect(result.failure).toMatchObject({ step: 'push', image: 'app', message: 'linux/arm64: unexpected EOF' });
    expect(slept).toEqual([2000]);
    expect(run.registry.state()).toEqual({});
    expect(result.rollback).toEqual([
      `deleted ${ref('app', 'master-2026-11-27')}`,
      `deleted ${ref('base', 'master-2026-11-27')}`,
    ]);
  });

  /** Pushes the branch with the index of `image`, as verify reads it back, changed by `change`. */
  async function readBack(image: string, change: (index: Manifest, stored: Map<string, Manifest>) => void) {
    const run = fakeRun();
    let moved = 0;
    let changed = false;
    run.registry.intercept = (call) => {
      if (call.op === 'putManifest' && call.client === 'run' && call.reference !== 'master-2026-11-27') moved += 1;
      // Both images' floating and latest tags moved: the next read is verify's.
      if (moved === 4 && !changed && call.op === 'getManifest' && call.repository === repo(image)) {
        changed = true;
        const stored = manifests(run, image);
        change(stored.get(call.reference) as Manifest, stored);
      }
    };
    const result = await pushBranch(master, await builtPlatforms(run), run.deps);
    expect(changed).toBe(true);
    expect(result.failure).toMatchObject({ step: 'verify', image });
    return (result.failure as Error).message;
  }

  it('reads the index back: gone', async () => {
    const message = await readBack('base', (index, stored) => stored.delete(index.digest));
    expect(message).toMatch(new RegExp(`^${repo('base')}@${DIGEST} is missing, expected an image index$`));
  });

  it('reads the index back: a single image where the index was', async () => {
    const message = await readBack('base', (index, stored) =>
      stored.set(index.digest, { ...index, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' }),
    );
    expect(message).toMatch(
      new RegExp(
        `^${repo('base')}@${DIGEST} is a application/vnd\\.docker\\.distribution\\.manifest\\.v2\\+json, ` +
          `expected an image index$`,
      ),
    );
  });

  it('reads the index back: one that names fewer platforms than the image has', async () => {
    const message = await readBack('app', (index, stored) => {
      const body = JSON.parse(index.bytes.toString('utf8')) as { manifests: unknown[] };
      stored.set(index.digest, {
        ...index,
        bytes: Buffer.from(JSON.stringify({ ...body, manifests: body.manifests.slice(0, 1) })),
      });
    });
    expect(message).toBe('the index names linux/amd64, expected linux/amd64, linux/arm64');
  });

  it('reads the index back: a platform manifest it names is gone', async () => {
    const message = await readBack('app', (index, stored) => {
      const body = JSON.parse(index.bytes.toString('utf8')) as { manifests: { digest: string }[] };
      stored.delete(body.manifests[1]?.digest ?? '');
    });
    expect(message).toMatch(new RegExp(`^${repo('app')}@${DIGEST} \\(linux/arm64\\) is missing$`));
  });
});

describe('pushBranch, engine pushes retried and failed', () => {
  const unavailable = (): RegistryError =>
    new RegistryError('registry', '503 Service Unavailable', { retryable: true, status: 503 });

  it('names the dated tag in the warning of a retried engine push', async () => {
    const run = fakeRun();
    run.engine.failPush = (reference, attempt) =>
      reference.includes('/base:') && attempt === 1 ? unavailable() : undefined;
    const result = await pushBranch(single, await builtSources(run, single), run.deps);
    expect(result.failure).toBeUndefined();
    expect(run.stderr.text).toContain(
      `[base@master] warning: push ${ref('base', 'master-2026-11-27')} failed (attempt 1 of 2): ` +
        `503 Service Unavailable; retrying\n`,
    );
  });

  it('names the dated tag and the platform in the warning of a retried platform push', async () => {
    const run = fakeRun();
    // Every platform goes through the dated tag: base's third push is its arm64 image's first.
    run.engine.failPush = (reference, attempt) =>
      reference.includes('/base:') && attempt === 2 ? unavailable() : undefined;
    const result = await pushBranch(master, await builtPlatforms(run), run.deps);
    expect(result.failure).toBeUndefined();
    expect(run.stderr.text).toContain(
      `[base@master] warning: push ${ref('base', 'master-2026-11-27')} (linux/arm64) failed (attempt 1 of 2): ` +
        `503 Service Unavailable; retrying\n`,
    );
  });

  it('a platform push that fails: a push failure naming the platform, nothing left', async () => {
    const run = fakeRun();
    run.engine.failPush = (reference, attempt) =>
      reference.includes('/app:') && attempt === 2
        ? new Error('denied: requested access to the resource is denied')
        : undefined;
    const result = await pushBranch(master, await builtPlatforms(run), run.deps);
    expect(result.failure).toMatchObject({
      step: 'push',
      image: 'app',
      message: 'linux/arm64: denied: requested access to the resource is denied',
    });
    expect(run.registry.state()).toEqual({});
  });
});

describe('pushBranch, what it reports per image', () => {
  it("times each image's push by the run's clock, from its start to its dated tag", async () => {
    const run = fakeRun();
    let now = Date.parse('2026-11-27T03:00:00.000Z');
    run.deps.clock = { ...run.deps.clock, now: () => new Date(now) };
    const push = run.engine.push.bind(run.engine);
    // Each engine push takes 2.5 s of the run's clock.
    run.engine.push = async (...args) => {
      now += 2500;
      return push(...args);
    };
    const result = await pushBranch(single, await builtSources(run, single), run.deps);
    expect(result.images.map((image) => image.pushMs)).toEqual([2500, 2500]);
    expect(run.stderr.text).toMatch(
      new RegExp(`\\[base@master\\] pushed ${ref('base', 'master-2026-11-27')} \\(sha256:[0-9a-f]{12}\\) in 2\\.5s\n`),
    );
  });

  it('says "assembled" for a staged image, and puts no dated tag that holds it already', async () => {
    const run = fakeRun();
    const staged = run.registry.addImage(repo('base'), ['master-2026-11-27-linux-amd64'], { v: '1' });
    const manifest = run.registry.manifestOf(repo('base'), staged.digest) as Manifest;
    const sources = await builtSources(run, single);
    sources.set('base', { kind: 'staged', entries: [{ platform: 'linux/amd64', manifest }] });
    const result = await pushBranch(single, sources, run.deps);
    expect(result.failure).toBeUndefined();
    expect(result.images[0]?.digest).toBe(staged.digest);
    expect(run.stderr.text).toMatch(
      new RegExp(
        `\\[base@master\\] assembled ${ref('base', 'master-2026-11-27')} \\(${staged.digest.slice(0, 19)}\\) in `,
      ),
    );
    expect(run.registry.tagsOf(repo('base'))['master-2026-11-27']).toBe(staged.digest);

    // Again, the dated tag holding it already (a rerun of the assemble job): no write to it.
    const before = run.registry.calls.length;
    const rerun = await pushBranch(single, sources, run.deps);
    expect(rerun.failure).toBeUndefined();
    const puts = run.registry.calls
      .slice(before)
      .filter((call) => call.op === 'putManifest' && call.repository === repo('base'));
    expect(puts).toEqual([]);
  });

  it('re-tags a reused image by manifest, and puts no dated tag that holds it already', async () => {
    const run = fakeRun();
    const published = run.registry.addImage(repo('base'), ['master', 'latest', 'master-2026-11-27'], { v: '1' });
    const manifest = run.registry.manifestOf(repo('base'), published.digest) as Manifest;
    const sources = await builtSources(run, single);
    sources.set('base', { kind: 'reused', manifest });
    const result = await pushBranch(single, sources, run.deps);
    expect(result.failure).toBeUndefined();
    const puts = run.registry.calls.filter((call) => call.op === 'putManifest' && call.repository === repo('base'));
    expect(puts).toEqual([]);
    expect(result.images[0]).toMatchObject({ name: 'base', digest: published.digest });
  });
});

describe('pushBranch, a refused write and one cut off', () => {
  /**
   * Pushes `single` with the first `latest` PUT (base's) failing with `error`; whether the images'
   * manifests are still there after the rollback.
   */
  async function failLatest(error: Error): Promise<boolean[]> {
    const run = fakeRun();
    failRunPut(run, 'latest', error);
    const result = await pushBranch(single, await builtSources(run, single), run.deps);
    expect(result.failure).toMatchObject({ step: 'retag', image: 'base' });
    expect(run.registry.state()).toEqual({});
    return result.images.map((image) => run.registry.hasManifest(repo(image.name), image.digest));
  }

  it('a refused write will not land: the images this run made go whole', async () => {
    expect(await failLatest(registryFailure(400))).toEqual([false, false]);
  });

  it('a write cut off may still land: only tags go, no manifest a late write could name', async () => {
    expect(await failLatest(new Error('socket hang up'))).toEqual([true, true]);
  });
});

describe('pushBranch, interrupted between two steps', () => {
  const interrupted = new Error('interrupted by SIGINT');

  /** Pushes `branch`, the run interrupted once `at` says so; what the rollback waited for. */
  async function interrupt(
    branch: PlannedBranch,
    sources: (run: FakeRun) => Promise<Map<string, Source>>,
    at: (run: FakeRun, call: Call) => boolean,
  ) {
    const run = fakeRun();
    const slept: number[] = [];
    run.deps.clock = { ...run.deps.clock, sleep: (ms, signal) => (slept.push(ms), instantClock.sleep(ms, signal)) };
    // The call that is under way when the signal comes still gets its answer.
    run.registry.intercept = (call) => {
      if (!run.controller.signal.aborted && at(run, call)) run.controller.abort(interrupted);
    };
    const result = await pushBranch(branch, await sources(run), run.deps);
    return { run, result, slept };
  }

  it('after the engine pushed an image: the next one is not started, the failure is the signal', async () => {
    const run = fakeRun();
    const sources = await builtSources(run, single);
    // The signal comes as app's push starts (the third reading of the clock: base's start and end, app's start).
    let readings = 0;
    run.deps.clock = {
      ...run.deps.clock,
      now: () => {
        readings += 1;
        if (readings === 3) run.controller.abort(interrupted);
        return new Date();
      },
    };
    const result = await pushBranch(single, sources, run.deps);
    expect(result.failure).toBe(interrupted);
    expect(run.engine.pushes).toEqual([ref('base', 'master-2026-11-27')]);
    expect(run.registry.state()).toEqual({});
  });

  it('after the engine pushed one platform: the next platform is not started, the failure is the signal', async () => {
    const { run, result, slept } = await interrupt(
      master,
      builtPlatforms,
      // The signal comes while the run reads the amd64 manifest the engine pushed.
      (run, call) => call.client === 'run' && call.op === 'getManifest' && run.engine.pushes.length === 1,
    );
    expect(result.failure).toBe(interrupted);
    expect(run.engine.pushes).toEqual([ref('base', 'master-2026-11-27')]);
    expect(slept).toEqual([]);
    expect(run.registry.state()).toEqual({});
  });

  it('while it reads what to move a tag to: no tag is put, the images this run made go whole', async () => {
    const { run, result } = await interrupt(
      single,
      (run) => builtSources(run, single),
      (run, call) => call.client === 'run' && call.op === 'getManifest' && run.engine.pushes.length === 2,
    );
    expect(result.failure).toBe(interrupted);
    expect(run.registry.calls.filter((call) => call.client === 'run' && call.op === 'putManifest')).toEqual([]);
    expect(run.registry.state()).toEqual({});
    for (const image of result.images) expect(run.registry.hasManifest(repo(image.name), image.digest)).toBe(false);
  });
});

describe('pushBranch, reading the tags back', () => {
  it('a tag deleted in between: says it points at nothing', async () => {
    const run = fakeRun();
    let moved = 0;
    let deleted = false;
    run.registry.intercept = (call) => {
      if (call.op === 'putManifest' && call.client === 'run') moved += 1;
      // All four tags moved: the next read is the read-back.
      if (call.op === 'digestOf' && call.client === 'run' && moved === 4 && !deleted) {
        deleted = true;
        (run.registry as unknown as { store: { repository(name: string): { tags: Map<string, string> } } }).store
          .repository(repo('base'))
          .tags.delete('master-2026-11-27');
      }
    };
    const result = await pushBranch(single, await builtSources(run, single), run.deps);
    expect(result.failure).toMatchObject({ step: 'verify', image: 'base' });
    expect((result.failure as Error).message).toMatch(
      new RegExp(`^${ref('base', 'master-2026-11-27').replace(/\./g, '\\.')} points at nothing, expected ${DIGEST}$`),
    );
  });
});

describe('pushBranch, staged and built single images', () => {
  it('a staged image with nothing staged: a push failure naming it', async () => {
    const run = fakeRun();
    const sources = await builtSources(run, single);
    sources.set('base', { kind: 'staged', entries: [] });
    const result = await pushBranch(single, sources, run.deps);
    expect(result.failure).toMatchObject({ step: 'push', image: 'base', message: 'nothing staged for base' });
    expect(run.registry.state()).toEqual({});
  });

  it('a pushed image gone before its tags move: a retag failure naming it, the dated tags undone', async () => {
    const run = fakeRun();
    let pushedApp = false;
    run.registry.intercept = (call) => {
      // The first read of base by the run after both dated tags are in: moving base's tags.
      if (call.op === 'putManifest' && call.client === 'engine' && call.repository === repo('app')) pushedApp = true;
      if (pushedApp && call.op === 'getManifest' && call.client === 'run' && call.repository === repo('base'))
        manifests(run, 'base').delete(call.reference);
    };
    const result = await pushBranch(single, await builtSources(run, single), run.deps);
    expect(result.failure).toMatchObject({ step: 'retag', image: 'base' });
    expect((result.failure as Error).message).toMatch(
      new RegExp(`^${HOST}/${repo('base')}@${DIGEST} vanished from the registry right after the push$`),
    );
    expect(Object.keys(run.registry.state())).not.toContain(`${repo('base')}:master`);
    expect(result.images.map((image) => image.tags)).toEqual([[], []]);
  });
});
