import { describe, expect, it } from 'vitest';
import { EngineError } from '../../../pipeline/errors.js';
import { publish, runExitCode } from '../../../pipeline/publish/publish.js';
import { INPUTS_LABEL } from '../../../pipeline/publish/inputs.js';
import { runReportSchema, type BranchReport } from '../../../pipeline/publish/report.js';
import {
  failRunPut,
  fakeRun,
  HOST,
  NAMESPACE,
  planOf,
  PUSH,
  REVISION_SPEC,
  sha,
  type FakeRun,
} from '../../helpers/fake-run.js';

// publish() driven through its ports (fake engine, containers and registry): every outcome of a
// run. What the real engine and registry do is tested in test/itg/.

const ref = (image: string, tag: string): string => `${HOST}/${NAMESPACE}/${image}:${tag}`;
const repo = (image: string): string => `${NAMESPACE}/${image}`;
const master = { branch: 'master', sha: sha(1) };
const release = { branch: '1.11.x', sha: sha(2), releaseTag: '1.11.0' };

function branchOf(report: { branches: BranchReport[] }, name: string): BranchReport {
  return report.branches.find((branch) => branch.branch === name) as BranchReport;
}

/** Nothing of the run is left in the engine or as a container. */
function expectCleanedUp(run: FakeRun): void {
  expect(run.containers.live.size).toBe(0);
  expect(run.engine.imageIds()).toEqual([]);
  expect([...run.engine.refs.keys()]).toEqual([]);
}

describe('publish', () => {
  it('publishes two branches at once: every tag by role, the child FROM the base built for its commit', async () => {
    const run = fakeRun();
    const report = await publish(planOf([release, master]), run.deps, PUSH, run.shared, 'run-1');

    expect(report.status).toBe('success');
    expect(runExitCode(report, run.deps.signal)).toBe(0);
    expect(report.branches.map((b) => [b.branch, b.status])).toEqual([
      ['1.11.x', 'published'],
      ['master', 'published'],
    ]);
    const state = run.registry.state();
    for (const image of ['base', 'app']) {
      const releaseImage = branchOf(report, '1.11.x').images.find((i) => i.name === image);
      const masterImage = branchOf(report, 'master').images.find((i) => i.name === image);
      expect(releaseImage?.status).toBe('pushed');
      // Dated, floating and version on one digest; master's also carries latest.
      expect(releaseImage?.tags).toEqual([ref(image, '1.11.x-2026-11-27'), ref(image, '1.11.x'), ref(image, '1.11.0')]);
      expect(masterImage?.tags).toEqual([ref(image, 'master-2026-11-27'), ref(image, 'master'), ref(image, 'latest')]);
      for (const tag of ['1.11.x-2026-11-27', '1.11.x', '1.11.0'])
        expect(state[`${repo(image)}:${tag}`]).toBe(releaseImage?.digest);
      for (const tag of ['master-2026-11-27', 'master', 'latest'])
        expect(state[`${repo(image)}:${tag}`]).toBe(masterImage?.digest);
    }
    expect(Object.keys(state)).toHaveLength(12);
    // Each child was built on the base built in this run for the same commit.
    for (const branch of report.branches) {
      const [base, app] = branch.images;
      const build = run.engine.builds.find((b) => b.context.endsWith('/app') && b.buildArgs.GIT_SHA === branch.sha);
      expect(build?.buildArgs.BASE_IMAGE).toBe(base?.imageId);
      expect(app?.smoke?.map((t) => t.ok)).toEqual([true]);
    }
    expectCleanedUp(run);
  });

  it('pushes the dated tags of every image before it moves any floating, version or latest tag', async () => {
    const run = fakeRun();
    await publish(planOf([master]), run.deps, PUSH, run.shared, 'run-1');
    const writes = run.registry.calls.filter((call) => call.op === 'putManifest').map((call) => call.reference);
    expect(writes).toEqual(['master-2026-11-27', 'master-2026-11-27', 'master', 'latest', 'master', 'latest']);
  });

  it(
    'a base that fails to build: its child is skipped, nothing of the branch is pushed, the other branch ' +
      'publishes',
    async () => {
      const run = fakeRun();
      run.engine.failBuild = (request) =>
        request.context.endsWith('/base') && request.buildArgs.GIT_BRANCH === 'master'
          ? 'gcc: internal error'
          : undefined;
      const report = await publish(planOf([release, master]), run.deps, PUSH, run.shared, 'run-1');

      expect(report.status).toBe('failed');
      expect(runExitCode(report, run.deps.signal)).toBe(1);
      const failed = branchOf(report, 'master');
      expect(failed.status).toBe('failed');
      expect(failed.failure).toMatchObject({ step: 'build', image: 'base' });
      expect(failed.failure?.message).toMatch(/^build failed: .*gcc: internal error/);
      expect(failed.failure?.logTail).toContain('gcc: internal error');
      expect(failed.images.map((i) => [i.name, i.status])).toEqual([
        ['base', 'failed'],
        ['app', 'skipped'],
      ]);
      expect(Object.keys(run.registry.state()).filter((key) => key.includes('master'))).toEqual([]);
      expect(run.engine.builds.filter((b) => b.buildArgs.GIT_BRANCH === 'master')).toHaveLength(1);
      expect(branchOf(report, '1.11.x').status).toBe('published');
      expect(run.stderr.text).toMatch(/\[master\] error: FAILED at build \(base\) after [\d.]+s: build failed: /);
      expectCleanedUp(run);
    },
  );

  it(
    'a smoke test that fails: nothing of the branch pushed, its containers removed, the failing test ' + 'named',
    async () => {
      const run = fakeRun({
        specs: {
          base: REVISION_SPEC,
          app: {
            ...REVISION_SPEC,
            serviceTests: [
              {
                name: 'serves',
                steps: [
                  { exec: { command: ['label', 'org.opencontainers.image.version'], expectedOutput: ['^1\\.11'] } },
                ],
              },
            ],
          },
        },
      });
      const report = await publish(planOf([release, master]), run.deps, PUSH, run.shared, 'run-1');

      const failed = branchOf(report, 'master');
      expect(failed.failure).toMatchObject({ step: 'smoke', image: 'app', tests: ['serves'] });
      expect(failed.failure?.logTail).toEqual([expect.stringMatching(/^log of container-/)]);
      expect(failed.images.map((i) => i.status)).toEqual(['tested', 'failed']);
      expect(failed.images[1]?.smoke?.map((t) => [t.name, t.ok])).toEqual([
        ['built from the planned commit', true],
        ['serves', false],
      ]);
      expect(Object.keys(run.registry.state()).some((key) => key.includes('master'))).toBe(false);
      expect(branchOf(report, '1.11.x').status).toBe('published');
      expect(run.containers.created.length).toBeGreaterThan(0);
      expectCleanedUp(run);
    },
  );

  it('an engine failure during a smoke test: the stage names the step and the image', async () => {
    const run = fakeRun();
    run.engine.inspectImage = () => Promise.reject(new EngineError('cannot inspect the image: engine went away'));
    const report = await publish(planOf([master]), run.deps, PUSH, run.shared, 'run-1');

    expect(branchOf(report, 'master').failure).toMatchObject({
      step: 'smoke',
      image: 'base',
      message: 'cannot inspect the image: engine went away',
    });
    expect(Object.keys(run.registry.state())).toEqual([]);
  });

  // A refusal after the retries (503) or one never retried (401, registry-http-failures.test.ts):
  // the same failure at the version tag, the same rollback.
  it.each([
    [503, 'Service Unavailable'],
    [401, 'Unauthorized'],
  ])(
    'a push that fails part-way (%i on the version tag): the branch is put back as it was, and says so',
    async (status, text) => {
      const run = fakeRun();
      const yesterday = await publish(
        planOf([release], '2026-11-26'),
        run.deps,
        { ...PUSH, force: true },
        run.shared,
        'r0',
      );
      expect(yesterday.status).toBe('success');
      const before = run.registry.state();
      const second = fakeRun({ registry: run.registry });
      failRunPut(second, '1.11.0', Object.assign(new Error(`${status} ${text}`), { status }), repo('app'));
      const report = await publish(planOf([release]), second.deps, { ...PUSH, force: true }, second.shared, 'run-1');

      const failed = branchOf(report, '1.11.x');
      expect(failed.status).toBe('failed');
      expect(failed.failure).toMatchObject({ step: 'retag', image: 'app', message: `${status} ${text}` });
      expect(run.registry.state()).toEqual(before);
      expect(failed.rollback).toEqual([
        `restored ${ref('app', '1.11.x')} to ${before[`${repo('app')}:1.11.x`]}`,
        `restored ${ref('base', '1.11.0')} to ${before[`${repo('base')}:1.11.0`]}`,
        `restored ${ref('base', '1.11.x')} to ${before[`${repo('base')}:1.11.x`]}`,
        `deleted ${ref('app', '1.11.x-2026-11-27')}`,
        `deleted ${ref('base', '1.11.x-2026-11-27')}`,
      ]);
      expect(failed.images.map((i) => i.tags)).toEqual([[], []]);
      expectCleanedUp(second);
    },
  );

  it(
    'interrupted during a build: stops, pushes nothing, removes what it started, and reports it ' + 'interrupted',
    async () => {
      const run = fakeRun();
      run.engine.duringBuild = (request, signal) =>
        request.buildArgs.GIT_BRANCH === 'master'
          ? new Promise((_, reject) => {
              signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
              run.controller.abort(new Error('interrupted by SIGTERM'));
            })
          : Promise.resolve();
      const report = await publish(
        planOf([master, release]),
        run.deps,
        { ...PUSH, concurrency: 1 },
        run.shared,
        'run-1',
      );

      expect(report.status).toBe('interrupted');
      expect(report.branches.map((b) => b.status)).toEqual(['interrupted', 'interrupted']);
      expect(report.branches[0]?.failure).toEqual({ step: 'interrupted', message: 'interrupted by SIGTERM' });
      expect(run.registry.calls.filter((call) => call.op === 'putManifest')).toEqual([]);
      expect(run.engine.builds.map((b) => b.buildArgs.GIT_BRANCH)).toEqual(['master']);
      expectCleanedUp(run);
    },
  );

  it('interrupted during a service test: the container is removed all the same', async () => {
    const run = fakeRun({
      specs: {
        base: { serviceTests: [{ name: 'waits', steps: [{ exec: { command: ['hang'] } }] }] },
        app: REVISION_SPEC,
      },
    });
    run.containers.onStart = () => setTimeout(() => run.controller.abort(new Error('interrupted by SIGINT')), 5);
    const report = await publish(planOf([master]), run.deps, PUSH, run.shared, 'run-1');

    expect(report.status).toBe('interrupted');
    expect(run.containers.created).toHaveLength(1);
    expect(run.registry.calls.filter((call) => call.op === 'putManifest')).toEqual([]);
    expectCleanedUp(run);
  });

  it('--no-push builds and tests, and does not ask the registry anything', async () => {
    const run = fakeRun();
    const report = await publish(planOf([master]), run.deps, { ...PUSH, push: false }, run.shared, 'run-1');
    expect(report.branches[0]?.status).toBe('tested');
    expect(report.branches[0]?.images.map((i) => [i.status, i.tags])).toEqual([
      ['tested', []],
      ['tested', []],
    ]);
    expect(run.registry.calls).toEqual([]);
    expectCleanedUp(run);
  });

  it.each([
    ['the defaults', {}, { rebuildAfterMs: 7 * 86_400_000 }, true],
    ['--no-compile-cache --rebuild-after 36h', { compileCache: false }, { rebuildAfterMs: 36 * 3_600_000 }, false],
  ])('records in the report the options that decide what is built: %s', async (_name, shared, options, cache) => {
    const run = fakeRun();
    const report = await publish(
      planOf([master]),
      run.deps,
      { ...PUSH, force: true, ...options },
      { ...run.shared, ...shared },
      'run-1',
    );
    expect(report.options).toEqual({
      push: true,
      force: true,
      keep: false,
      compileCache: cache,
      rebuildAfterMs: options.rebuildAfterMs,
    });
    expect(runReportSchema.parse(JSON.parse(JSON.stringify(report)))).toEqual(report);
  });

  it('still reads a report from before compileCache and rebuildAfterMs were recorded', () => {
    const older = runReportSchema.shape.options.parse({ push: true, force: false, keep: false });
    expect(older).toEqual({ push: true, force: false, keep: false });
  });
});

describe('publish, the night after', () => {
  async function published(): Promise<FakeRun> {
    const first = fakeRun();
    expect((await publish(planOf([release, master], '2026-11-26'), first.deps, PUSH, first.shared, 'r0')).status).toBe(
      'success',
    );
    return first;
  }

  it('re-tags unchanged branches by manifest: no build, no engine push, the same digests', async () => {
    const first = await published();
    const before = first.registry.state();
    const run = fakeRun({ registry: first.registry });
    const report = await publish(planOf([release, master]), run.deps, PUSH, run.shared, 'run-2');

    expect(report.branches.map((b) => b.status)).toEqual(['unchanged', 'unchanged']);
    expect(run.engine.builds).toEqual([]);
    expect(run.engine.pushes).toEqual([]);
    const after = run.registry.state();
    for (const [key, digest] of Object.entries(before)) expect(after[key]).toBe(digest);
    for (const image of ['base', 'app'])
      expect(after[`${repo(image)}:master-2026-11-27`]).toBe(before[`${repo(image)}:master`]);
    expect(branchOf(report, 'master').images[1]).toMatchObject({
      status: 'unchanged',
      reusedDigest: before[`${repo('app')}:master`],
      reason: expect.stringMatching(/^unchanged since 2026-11-26T02:00:00/),
    });
    expect(Object.keys(after)).toHaveLength(Object.keys(before).length + 4);
  });

  it('rebuilds only the branch that moved, and everything with --force', async () => {
    const first = await published();
    const moved = fakeRun({ registry: first.registry });
    const report = await publish(
      planOf([release, { ...master, sha: sha(3) }]),
      moved.deps,
      PUSH,
      moved.shared,
      'run-2',
    );
    expect(report.branches.map((b) => b.status)).toEqual(['unchanged', 'published']);
    expect(branchOf(report, 'master').images.map((i) => i.reason)).toEqual([
      'the published image is of 111111111111, the branch is at 333333333333',
      'the published image is of 111111111111, the branch is at 333333333333',
    ]);

    const forced = fakeRun({ registry: first.registry });
    const again = await publish(
      planOf([release, master], '2026-11-28'),
      forced.deps,
      { ...PUSH, force: true },
      forced.shared,
      'r3',
    );
    expect(again.branches.map((b) => b.status)).toEqual(['published', 'published']);
    expect(forced.engine.builds).toHaveLength(4);
  });

  it('an unchanged branch is re-tagged while a moved one builds: deciding takes no build slot', async () => {
    const first = await published();
    const run = fakeRun({ registry: first.registry });
    const retagged = `${repo('app')}:1.11.x-2026-11-27`;
    let retaggedDuringBuild: boolean | undefined;
    run.engine.duringBuild = async () => {
      if (retaggedDuringBuild !== undefined) return;
      // One build slot, held by master: the unchanged 1.11.x must not need it. (The wait ends
      // after 2 s only so that a wrong implementation fails instead of hanging.)
      for (let waited = 0; waited < 2000 && !(retagged in run.registry.state()); waited += 10)
        await new Promise((resolve) => setTimeout(resolve, 10));
      retaggedDuringBuild = retagged in run.registry.state();
    };
    const report = await publish(
      planOf([{ ...master, sha: sha(3) }, release]),
      run.deps,
      { ...PUSH, concurrency: 1 },
      run.shared,
      'run-2',
    );

    expect(report.branches.map((b) => b.status)).toEqual(['published', 'unchanged']);
    expect(retaggedDuringBuild).toBe(true);
    expect(run.engine.builds.map((b) => b.buildArgs.GIT_BRANCH)).toEqual(['master', 'master']);
    expectCleanedUp(run);
  });

  it('rebuilds a changed child on the published base, pulled by digest, and the base stays unchanged', async () => {
    const first = await published();
    const run = fakeRun({ registry: first.registry });
    run.contexts.set('app', 'sha256:the-app-changed');
    const report = await publish(planOf([master]), run.deps, PUSH, run.shared, 'run-2');

    const [base, app] = report.branches[0]?.images ?? [];
    expect([base?.status, app?.status]).toEqual(['unchanged', 'pushed']);
    expect(run.engine.pulls).toEqual([`${HOST}/${NAMESPACE}/base@${base?.reusedDigest}`]);
    const build = run.engine.builds[0];
    expect(run.engine.builds).toHaveLength(1);
    const baseManifest = first.registry.manifestOf(repo('base'), base?.reusedDigest as string);
    const config = (JSON.parse(baseManifest?.bytes.toString() ?? '{}') as { config: { digest: string } }).config.digest;
    expect(build?.buildArgs.BASE_IMAGE).toBe(config);
    expect(build?.labels[INPUTS_LABEL]).toBeDefined();
    expectCleanedUp(run);
  });
});

describe('publish, with another writer', () => {
  it('moves the floating tag during the build; the push then fails: the other writer keeps its tag', async () => {
    const run = fakeRun();
    await publish(planOf([release], '2026-11-26'), run.deps, PUSH, run.shared, 'r0');
    const before = run.registry.state();
    const second = fakeRun({ registry: run.registry });
    let theirs = '';
    second.engine.duringBuild = (request) => {
      if (request.context.endsWith('/base') && !theirs)
        theirs = run.registry.addImage(repo('base'), ['1.11.x'], {
          'org.opencontainers.image.revision': sha(9),
        }).digest;
      return Promise.resolve();
    };
    failRunPut(second, '1.11.x', Object.assign(new Error('503 Service Unavailable'), { status: 503 }), repo('app'));
    const report = await publish(planOf([release]), second.deps, { ...PUSH, force: true }, second.shared, 'run-1');

    expect(report.branches[0]?.status).toBe('failed');
    expect(run.registry.state()).toEqual({ ...before, [`${repo('base')}:1.11.x`]: theirs });
    expect(report.branches[0]?.rollback).toContain(`restored ${ref('base', '1.11.x')} to ${theirs}`);
  });
});
