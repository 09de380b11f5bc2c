import { describe, expect, it } from 'vitest';
import { assembleBranch } from '../../../pipeline/publish/assemble.js';
import { assemblePlan, stageReportsOf } from '../../../pipeline/publish/assemble-plan.js';
import { publish } from '../../../pipeline/publish/publish.js';
import type { BranchReport, RunReport } from '../../../pipeline/publish/report.js';
import { narrowBranch, stagingRef } from '../../../pipeline/publish/stage.js';
import type { Plan } from '../../../pipeline/plan/plan.js';
import type { SmokeSpec } from '../../../pipeline/smoke/spec-schema.js';
import { runCli } from '../../../pipeline/cli/run-cli.js';
import { testRuntime } from '../../helpers/runtime.js';
import {
  failRunPut,
  fakeRun,
  HOST,
  MULTI_PLATFORM_FAMILY,
  NAMESPACE,
  planOf,
  PUSH,
  REVISION_SPEC,
  sha,
  type FakeRun,
} from '../../helpers/fake-run.js';

// The nightly's split flow through publish's ports: one stage run per platform (publish --stage),
// then one assemble (publish --assemble) that puts the index under the tags users pull. The same
// outcomes as the single run (publish-platforms.test.ts), and no per-platform tag left behind.

const repo = (image: string): string => `${NAMESPACE}/${image}`;
const release = { branch: '1.11.x', sha: sha(2), releaseTag: '1.11.0' };
const DAY = '2026-11-27';
const plan = (date = '2026-11-27'): Plan => planOf([release], date, MULTI_PLATFORM_FAMILY);
const PLANNED_TAGS = ['base', 'app']
  .flatMap((image) => ['1.11.0', '1.11.x', '1.11.x-2026-11-27'].map((tag) => `${repo(image)}:${tag}`))
  .sort();
const ARCH_SPEC: SmokeSpec = {
  commandTests: [
    ...(REVISION_SPEC.commandTests ?? []),
    { name: 'runs on amd64', command: ['uname', '-m'], expectedOutput: ['^x86_64$'] },
  ],
};

async function stage(run: FakeRun, platform: string, planned = plan(), force = false): Promise<RunReport> {
  return publish(
    planned,
    run.deps,
    { ...PUSH, force, stage: { platform, id: 'run-7', day: DAY } },
    run.shared,
    'run-7',
  );
}

async function assemble(run: FakeRun, reports: RunReport[], planned = plan()): Promise<BranchReport> {
  const files = reports.map((report, index) => ({ file: `stage-${index}.json`, report }));
  const assembled = assemblePlan(planned, files, true);
  const branch = planned.branches[0] as Plan['branches'][number];
  return assembleBranch(branch, assembled.branches[0] as never, stageReportsOf(branch, files), run.deps, true);
}

function indexPlatforms(run: FakeRun, image: string, digest: string): { platform: string; digest: string }[] {
  const manifest = run.registry.manifestOf(repo(image), digest);
  const parsed = JSON.parse(manifest?.bytes.toString('utf8') ?? '{}') as {
    manifests: { digest: string; platform: { architecture: string } }[];
  };
  return parsed.manifests.map((entry) => ({ platform: `linux/${entry.platform.architecture}`, digest: entry.digest }));
}

describe('publish --stage and --assemble', () => {
  it('narrows a branch to one platform; an image without platforms is a linux/amd64 image', () => {
    const branch = plan().branches[0] as Plan['branches'][number];
    expect(narrowBranch(branch, 'linux/arm64').images.map((image) => image.platforms)).toEqual([
      ['linux/arm64'],
      ['linux/arm64'],
    ]);
    const single = planOf([release]).branches[0] as Plan['branches'][number];
    expect(narrowBranch(single, 'linux/arm64').images).toEqual([]);
    expect(narrowBranch(single, 'linux/amd64').images).toEqual(single.images);
  });

  it('names staging tags by run, branch and architecture, never like a dated tag, at most 128 characters', () => {
    const image = (plan().branches[0] as Plan['branches'][number]).images[0] as Plan['branches'][number]['images'][0];
    expect(stagingRef(image, '1.11.x', { platform: 'linux/arm64', id: '123-1-1.11.x', day: DAY })).toBe(
      `${HOST}/${repo('base')}:stage-${DAY}-123-1-1.11.x-1.11.x-arm64`,
    );
    const long = stagingRef(image, '1.11.x', { platform: 'linux/arm64/v8', id: `a/${'x'.repeat(200)}`, day: DAY });
    const tag = long.slice(long.lastIndexOf(':') + 1);
    expect(tag).toHaveLength(128);
    expect(tag).toMatch(new RegExp(`^stage-${DAY}-a_x+-1\\.11\\.x-arm64-v8$`));
  });

  it('stages each platform under run-scoped tags only, then assembles one index per tag and deletes them', async () => {
    const run = fakeRun();
    const amd = await stage(run, 'linux/amd64');
    const arm = await stage(run, 'linux/arm64');
    expect([amd.status, arm.status]).toEqual(['success', 'success']);
    expect(arm.stage).toEqual({ platform: 'linux/arm64', id: 'run-7' });
    expect(arm.branches[0]?.status).toBe('tested');
    // Only arm64 was built by the arm64 job, the child on the base of this run.
    expect(run.engine.builds.map((build) => build.platform)).toEqual([
      'linux/amd64',
      'linux/amd64',
      'linux/arm64',
      'linux/arm64',
    ]);
    // Nothing users pull exists yet: only the staging tags.
    expect(Object.keys(run.registry.state()).sort()).toEqual(
      ['base', 'app']
        .flatMap((image) => [
          `${repo(image)}:stage-${DAY}-run-7-1.11.x-amd64`,
          `${repo(image)}:stage-${DAY}-run-7-1.11.x-arm64`,
        ])
        .sort(),
    );

    const branch = await assemble(run, [arm, amd]);
    expect(branch.status).toBe('published');
    const state = run.registry.state();
    expect(Object.keys(state).sort()).toEqual(PLANNED_TAGS);
    for (const [at, image] of branch.images.entries()) {
      const digest = image.digest as string;
      for (const tag of ['1.11.x-2026-11-27', '1.11.x', '1.11.0'])
        expect(state[`${repo(image.name)}:${tag}`]).toBe(digest);
      // The index names the manifests the stage jobs pushed, amd64 first (the plan's order).
      expect(indexPlatforms(run, image.name, digest)).toEqual([
        { platform: 'linux/amd64', digest: amd.branches[0]?.images[at]?.digest },
        { platform: 'linux/arm64', digest: arm.branches[0]?.images[at]?.digest },
      ]);
      expect(image.platforms?.map((p) => [p.platform, p.passed])).toEqual([
        ['linux/amd64', true],
        ['linux/arm64', true],
      ]);
      expect(image.smoke?.length).toBe(2);
    }
    // Assembling moved no blob and pushed nothing through the engine.
    expect(run.engine.pushes.length).toBe(4);
  });

  it('a smoke test failing only on arm64: the assemble moves no tag, puts no index, names the platform', async () => {
    const run = fakeRun();
    const amd = await stage(run, 'linux/amd64');
    const armRun = fakeRun({ registry: run.registry, specs: { base: REVISION_SPEC, app: ARCH_SPEC } });
    const arm = await stage(armRun, 'linux/arm64');
    expect(arm.branches[0]?.status).toBe('failed');
    const putsBefore = run.registry.calls.filter((call) => call.op === 'putManifest').length;

    const branch = await assemble(run, [amd, arm]);
    expect(branch.status).toBe('failed');
    expect(branch.failure).toMatchObject({ step: 'smoke', image: 'app', tests: ['linux/arm64: runs on amd64'] });
    expect(branch.failure?.message).toMatch(/^linux\/arm64: |on linux\/arm64/);
    // No planned tag exists, and amd64's staging tags are gone too (only by placeholder deletes).
    expect(Object.keys(run.registry.state())).toEqual([]);
    const puts = run.registry.calls.filter((call) => call.op === 'putManifest').slice(putsBefore);
    expect(puts.every((call) => call.reference.startsWith('stage-'))).toBe(true);
    expect(branch.images.map((image) => image.status)).toEqual(['tested', 'failed']);
  });

  it('a platform without a report (its job died) fails the branch and moves nothing', async () => {
    const run = fakeRun();
    const amd = await stage(run, 'linux/amd64');
    const branch = await assemble(run, [amd]);
    expect(branch.status).toBe('failed');
    expect(branch.failure?.message).toMatch(/^linux\/arm64: no stage report for this branch/);
    expect(Object.keys(run.registry.state())).toEqual([]);
  });

  it('a warm night: both stages reuse the published index, the assemble re-tags it, no build, no blob', async () => {
    const first = fakeRun();
    const yesterday = await publish(plan('2026-11-26'), first.deps, PUSH, first.shared, 'run-1');
    const run = fakeRun({ registry: first.registry });
    const calls = run.registry.calls.length;
    const amd = await stage(run, 'linux/amd64');
    const arm = await stage(run, 'linux/arm64');
    expect([amd.branches[0]?.status, arm.branches[0]?.status]).toEqual(['unchanged', 'unchanged']);
    const branch = await assemble(run, [amd, arm]);
    expect(branch.status).toBe('unchanged');
    expect(run.engine.builds).toEqual([]);
    expect(run.engine.pushes).toEqual([]);
    expect(run.registry.calls.slice(calls).filter((call) => call.op === 'putBlob')).toEqual([]);
    for (const [at, image] of branch.images.entries()) {
      expect(image.digest).toBe(yesterday.branches[0]?.images[at]?.digest);
      expect(run.registry.state()[`${repo(image.name)}:1.11.x-2026-11-27`]).toBe(image.digest);
    }
  });

  it('the index put fails: every tag is put back as it was, and the staging tags go', async () => {
    const first = fakeRun();
    await publish(plan('2026-11-26'), first.deps, { ...PUSH, force: true }, first.shared, 'run-1');
    const before = first.registry.state();
    const run = fakeRun({ registry: first.registry });
    const amd = await stage(run, 'linux/amd64', plan(), true);
    const arm = await stage(run, 'linux/arm64', plan(), true);
    failRunPut(run, '1.11.x', Object.assign(new Error('503 Service Unavailable'), { status: 503 }), repo('app'));
    const branch = await assemble(run, [amd, arm]);
    run.registry.intercept = undefined;
    expect(branch.status).toBe('failed');
    expect(branch.failure).toMatchObject({ step: 'retag', image: 'app' });
    expect(run.registry.state()).toEqual(before);
    expect(branch.rollback?.join('\n')).toContain('1.11.x-2026-11-27');
  });
});

describe('assemblePlan', () => {
  const reportsOf = async (): Promise<RunReport[]> => {
    const run = fakeRun();
    return [await stage(run, 'linux/amd64'), await stage(run, 'linux/arm64')];
  };

  it('is pure JSON: each image with the staged digest of each platform, and the staging tags', async () => {
    const reports = await reportsOf();
    const planned = assemblePlan(
      plan(),
      reports.map((report, i) => ({ file: `${i}.json`, report })),
      true,
    );
    expect(JSON.parse(JSON.stringify(planned))).toEqual(planned);
    const branch = planned.branches[0];
    expect(branch?.failure).toBeUndefined();
    expect(branch?.images.map((image) => image.platforms.map((p) => p.platform))).toEqual([
      ['linux/amd64', 'linux/arm64'],
      ['linux/amd64', 'linux/arm64'],
    ]);
    expect(branch?.staging).toHaveLength(4);
  });

  it.each([
    ['not a stage report', (r: RunReport) => ({ ...r, stage: undefined }), /not a stage report/],
    ['another day', (r: RunReport) => ({ ...r, date: '2026-11-26' }), /on 2026-11-26, but the plan publishes/],
    [
      'another commit',
      (r: RunReport) => ({ ...r, branches: r.branches.map((b) => ({ ...b, sha: sha(3) })) }),
      /1\.11\.x was staged at 333333333333, but the plan has 222222222222/,
    ],
  ])('refuses a report of %s (bad input, not a failed build)', async (_, edit, message) => {
    const [amd, arm] = await reportsOf();
    expect(() =>
      assemblePlan(
        plan(),
        [
          { file: 'amd.json', report: amd as RunReport },
          { file: 'arm.json', report: edit(arm as RunReport) },
        ],
        true,
      ),
    ).toThrow(message);
  });

  it('refuses two reports of the same branch and platform', async () => {
    const [amd] = await reportsOf();
    expect(() =>
      assemblePlan(
        plan(),
        [
          { file: 'a.json', report: amd as RunReport },
          { file: 'b.json', report: amd as RunReport },
        ],
        true,
      ),
    ).toThrow(/b\.json: 1\.11\.x linux\/amd64 is staged in a\.json too/);
  });
});

describe('publish: the split flow options', () => {
  it.each([
    [['--assemble', 'a.json'], /^error: --assemble needs --plan/],
    [
      ['--plan', 'p.json', '--assemble', 'a.json', '--platform', 'linux/arm64'],
      /^error: --assemble puts every platform/,
    ],
    [['--platform', 'linux/arm64', '--stage'], /^error: --stage needs --plan/],
    [['--plan', 'p.json', '--stage'], /^error: --stage needs --platform/],
    [['--plan', 'p.json', '--platform', 'linux/arm64', '--stage', '--no-push'], /^error: --stage pushes to staging/],
    [['--plan', 'p.json', '--platform', 'linux/arm64'], /^error: --platform linux\/arm64 builds one platform/],
  ])('refuses %j with exit 2 and one line, before reading anything', async (args, message) => {
    const runtime = testRuntime();
    expect(await runCli(['publish', ...args], runtime)).toBe(2);
    expect(runtime.stderr.text).toMatch(message);
    expect(runtime.stdout.text).toBe('');
  });
});
