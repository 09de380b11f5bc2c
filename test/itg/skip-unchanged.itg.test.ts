import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../helpers/cli.js';
import { copyFamily } from '../helpers/family-copy.js';
import { GitRepo } from '../helpers/git-repo.js';
import { blobUploads, manifestOf, registryState } from '../helpers/registry.js';
import { readStack, uniqueId } from '../helpers/stack.js';
import type { RunReport } from '../../pipeline/publish/report.js';

// The warm nightly path: what has not moved is re-tagged in the registry, not rebuilt.
const stack = readStack();
const open = { host: stack.registry };
const repo = new GitRepo();
repo.commit('1.9.x');
repo.commit('1.10.x');
afterAll(() => repo.remove());

async function publishOn(day: string, namespace: string, family: string, extra: string[] = []): Promise<RunReport> {
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
      '--branch',
      '1.9.x',
      '--branch',
      '1.10.x',
      '--report',
      report,
      ...extra,
    ],
    { DOCKER_HOST: stack.dockerHost },
  );
  expect(result.stderr).not.toMatch(/error:/);
  expect(result.code).toBe(0);
  return JSON.parse(readFileSync(report, 'utf8')) as RunReport;
}

const repos = (namespace: string): string[] => [`${namespace}/fixture-base`, `${namespace}/fixture-app`];

describe('skip unchanged branches, retag remotely', () => {
  it('adds only dated tags the next night, with no blob upload, reusing the exact manifests', async () => {
    const namespace = `warm-${uniqueId()}`;
    const family = copyFamily();
    await publishOn('2026-11-27', namespace, family);
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
    const namespace = `child-${uniqueId()}`;
    const family = copyFamily();
    await publishOn('2026-11-27', namespace, family);
    const before = await registryState(open, repos(namespace));
    const changed = copyFamily({ 'fixture-app/handler.sh': (text) => `${text}# a change to the child only\n` }, family);
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
});
