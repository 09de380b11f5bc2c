import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../helpers/cli.js';
import { copyFamily } from '../helpers/family-copy.js';
import { GitRepo } from '../helpers/git-repo.js';
import { makePlan, writePlanFile } from '../helpers/plan-file.js';
import { quickFamily } from '../helpers/quick-family.js';
import { blobUploads, copyTags, manifestOf, registryState } from '../helpers/registry.js';
import { readStack, uniqueId } from '../helpers/stack.js';
import type { RunReport } from '../../pipeline/publish/report.js';

// The warm nightly path: what has not moved is re-tagged in the registry, not rebuilt.
const stack = readStack();
const open = { host: stack.registry };
const repo = new GitRepo();
repo.commit('1.9.x');
repo.commit('1.10.x');
afterAll(() => repo.remove());

/** Publishes `branches` of the repository on `day`; exit 0 and no error, else the test fails. */
async function publishRun(
  day: string,
  namespace: string,
  family: string,
  extra: string[] = [],
  branches = ['1.9.x', '1.10.x'],
): Promise<{ report: RunReport; stderr: string }> {
  const report = `/tmp/${namespace}-${day}-${uniqueId()}.json`;
  const result = await runBuiltCli(
    [
      'publish',
      '--repo',
      repo.dir,
      '--images',
      family,
      '--registry',
      `${stack.registry}/${namespace}`,
      '--date',
      day,
      ...branches.flatMap((branch) => ['--branch', branch]),
      '--report',
      report,
      ...extra,
    ],
    { DOCKER_HOST: stack.dockerHost },
  );
  expect(result.stderr).not.toMatch(/error:/);
  expect(result.code).toBe(0);
  return { report: JSON.parse(readFileSync(report, 'utf8')) as RunReport, stderr: result.stderr };
}

async function publishOn(day: string, namespace: string, family: string, extra: string[] = []): Promise<RunReport> {
  return (await publishRun(day, namespace, family, extra)).report;
}

const repos = (namespace: string): string[] => [`${namespace}/fixture-base`, `${namespace}/fixture-app`];

// The skip decisions are the subject, not the smoke run: smoke specs that start no container.
const family = quickFamily();
// One first night (2026-11-27, both branches) that the tests starting from it share: each copies
// its tags into a namespace of its own (blobs mounted, manifests byte for byte), so each starts
// from exactly what that night published, without building and pushing it again.
const seed = `skip-seed-${uniqueId()}`;
const SEED_TAGS = ['1.9.x', '1.9.x-2026-11-27', '1.10.x', '1.10.x-2026-11-27'];
let seeded: Record<string, string>;

/** A new namespace (`prefix`-…) holding the seed night's tags, as the first night left them. */
async function afterFirstNight(prefix: string): Promise<string> {
  const namespace = `${prefix}-${uniqueId()}`;
  for (const image of ['fixture-base', 'fixture-app'])
    await copyTags(open, `${seed}/${image}`, `${namespace}/${image}`, SEED_TAGS);
  expect(await registryState(open, repos(namespace))).toEqual(
    Object.fromEntries(Object.entries(seeded).map(([key, digest]) => [key.replace(seed, namespace), digest])),
  );
  return namespace;
}

// Each test publishes into a namespace of its own and waits mostly on the engine: they run at once,
// the test with a first night of its own (ten days ago) while the shared first night is published.
describe.concurrent('skip unchanged branches, retag remotely', () => {
  describe.concurrent('after the shared first night', () => {
    beforeAll(async () => {
      await publishOn('2026-11-27', seed, family);
      seeded = await registryState(open, repos(seed));
      expect(Object.keys(seeded)).toHaveLength(8);
    });

    it('adds only dated tags the next night, with no blob upload, reusing the exact manifests', async () => {
      const namespace = await afterFirstNight('warm');
      const before = await registryState(open, repos(namespace));
      const uploadsBefore = repos(namespace).map((r) => blobUploads(stack.registryLog, r));

      const second = await publishOn('2026-11-28', namespace, family);
      expect(second.branches.map((b) => [b.branch, b.status])).toEqual([
        ['1.9.x', 'unchanged'],
        ['1.10.x', 'unchanged'],
      ]);
      for (const image of second.branches[0]?.images ?? []) {
        expect(image.status).toBe('unchanged');
        expect(image.reusedDigest).toBe(before[`${namespace}/${image.name}:1.9.x`]);
        expect(image.durations.buildMs).toBeUndefined();
      }
      expect(repos(namespace).map((r) => blobUploads(stack.registryLog, r))).toEqual(uploadsBefore);

      const after = await registryState(open, repos(namespace));
      const added = Object.keys(after)
        .filter((key) => !(key in before))
        .sort();
      expect(added).toEqual(
        repos(namespace)
          .flatMap((r) => [`${r}:1.10.x-2026-11-28`, `${r}:1.9.x-2026-11-28`])
          .sort(),
      );
      for (const key of Object.keys(before)) expect(after[key]).toBe(before[key]);
      for (const r of repos(namespace)) {
        for (const branch of ['1.9.x', '1.10.x']) {
          expect((await manifestOf(open, r, `${branch}-2026-11-28`))?.bytes).toBe(
            (await manifestOf(open, r, branch))?.bytes,
          );
        }
      }
    });

    it('rebuilds a changed child on the published base, pulled by digest, without rebuilding the base', async () => {
      const namespace = await afterFirstNight('child');
      const before = await registryState(open, repos(namespace));
      const changed = copyFamily(
        { 'fixture-app/handler.sh': (text) => `${text}# a change to the child only\n` },
        family,
      );
      const report = await publishOn('2026-11-28', namespace, changed);
      const images = report.branches[0]?.images ?? [];
      expect(images.map((i) => [i.name, i.status])).toEqual([
        ['fixture-base', 'unchanged'],
        ['fixture-app', 'pushed'],
      ]);
      expect(images[0]?.durations.buildMs).toBeUndefined();
      const after = await registryState(open, repos(namespace));
      expect(after[`${namespace}/fixture-base:1.9.x-2026-11-28`]).toBe(before[`${namespace}/fixture-base:1.9.x`]);
      expect(after[`${namespace}/fixture-app:1.9.x`]).not.toBe(before[`${namespace}/fixture-app:1.9.x`]);
      // And the night after, both are unchanged again: the child was recorded as built on that base.
      const third = await publishOn('2026-11-29', namespace, changed);
      expect(third.branches.map((b) => b.status)).toEqual(['unchanged', 'unchanged']);
    });

    it('rebuilds an image whose context changed only in a file mode', async () => {
      const namespace = await afterFirstNight('mode');
      const before = await registryState(open, repos(namespace));
      // Same bytes, other permissions: COPY gives the image the new mode, so it is another image.
      const changed = copyFamily({}, family);
      chmodSync(path.join(changed, 'fixture-app/handler.sh'), 0o700);
      const report = await publishOn('2026-11-28', namespace, changed);
      const images = report.branches[0]?.images ?? [];
      expect(images.map((i) => [i.name, i.status, i.reason])).toEqual([
        ['fixture-base', 'unchanged', expect.stringMatching(/^unchanged since /)],
        ['fixture-app', 'pushed', 'the build inputs changed (context, build args or labels)'],
      ]);
      const after = await registryState(open, repos(namespace));
      expect(after[`${namespace}/fixture-app:1.9.x`]).not.toBe(before[`${namespace}/fixture-app:1.9.x`]);
      expect(after[`${namespace}/fixture-base:1.9.x`]).toBe(before[`${namespace}/fixture-base:1.9.x`]);
    });
  });

  it('rebuilds an unchanged image older than --rebuild-after, and says why', async () => {
    const namespace = `stale-${uniqueId()}`;
    // Ten days ago's nightly: a plan made then, applied then (its creation time labels the images).
    const plan = await makePlan({
      repo: repo.dir,
      images: family,
      registry: `${stack.registry}/${namespace}`,
      date: '2026-11-17',
      branches: ['1.9.x'],
    });
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000).toISOString();
    plan.createdAt = tenDaysAgo;
    for (const image of plan.branches[0]?.images ?? []) image.labels['org.opencontainers.image.created'] = tenDaysAgo;
    const file = writePlanFile(`${namespace}-plan`, plan);
    const old = await runBuiltCli(['publish', '--plan', file, '--images', family], { DOCKER_HOST: stack.dockerHost });
    expect(old.code, old.stderr).toBe(0);
    const before = await registryState(open, repos(namespace));
    const oldManifest = before[`${namespace}/fixture-base:1.9.x`] as string;

    // Within a rebuild age of 30 days the image is unchanged and only re-tagged.
    const young = await publishRun('2026-11-26', namespace, family, ['--rebuild-after', '30d'], ['1.9.x']);
    expect(young.report.branches[0]?.status).toBe('unchanged');

    // At the default of 7 days it is rebuilt, though nothing else changed; the report and summary say why.
    const stale = await publishRun('2026-11-27', namespace, family, ['--summary'], ['1.9.x']);
    expect(stale.report.branches[0]?.status).toBe('published');
    expect(stale.report.branches[0]?.images.map((i) => [i.name, i.status, i.reason])).toEqual([
      [
        'fixture-base',
        'pushed',
        expect.stringMatching(
          /^the published image is 10d 00h old, older than --rebuild-after 7d 00h: rebuilt for OS and package updates$/,
        ),
      ],
      ['fixture-app', 'pushed', 'its base fixture-base is rebuilt'],
    ]);
    expect(stale.stderr).toMatch(/\[fixture-base@1\.9\.x\] rebuilding: the published image is 10d 00h old/);
    expect(stale.stderr).toContain('### Why rebuilt');
    expect(stale.stderr).toMatch(
      /- `1\.9\.x` fixture-base: the published image is 10d 00h old, older than --rebuild-after 7d 00h/,
    );
    const after = await registryState(open, repos(namespace));
    for (const r of repos(namespace)) expect(after[`${r}:1.9.x`]).not.toBe(before[`${r}:1.9.x`]);
    // Rebuilt, not relabelled from the build cache: the RUN step ran again (its layer is new), as
    // a `yum update` must, though this engine still has the cached layers of the first build.
    const [oldBase, newBase] = await Promise.all(
      [oldManifest, '1.9.x'].map((ref) => manifestOf(open, `${namespace}/fixture-base`, ref)),
    );
    expect(newBase?.layers[0]).toBe(oldBase?.layers[0]);
    expect(newBase?.layers[1]).not.toBe(oldBase?.layers[1]);
  });
});
