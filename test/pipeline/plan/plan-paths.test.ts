import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFamily } from '../../../pipeline/family/family.js';
import { makePlan } from '../../../pipeline/plan/plan.js';
import { portableImagesDir, repositoryRoot, resolveImagesDir } from '../../../pipeline/family/family-location.js';
import { applyFamily, planContext } from '../../../pipeline/plan/plan-paths.js';
import { fixtureFamily, repoRoot } from '../../helpers/paths.js';
import { writeTree } from '../../helpers/temp-files.js';

describe('portable plan folders', () => {
  const repo = writeTree({ 'deep/family/images.json': '{}' }, 'mp-paths-');
  mkdirSync(path.join(repo, '.git'));
  const worktree = writeTree({ '.git': 'gitdir: /elsewhere\n', 'images/images.json': '{}' }, 'mp-paths-');
  const loose = writeTree({ 'family/images.json': '{}' }, 'mp-paths-');

  it.each([
    ['the embedded family, by name', path.join(repoRoot, 'dockerfiles'), 'package:dockerfiles'],
    ['any folder of the package, by name', fixtureFamily, 'package:test/fixtures/family'],
    ['a family in a repository, relative to its root', path.join(repo, 'deep/family'), 'deep/family'],
    ['a worktree (.git is a file)', path.join(worktree, 'images'), 'images'],
    // Relative to its root it would be '', which names no folder: the absolute path is all there is.
    ['a family at the root of its repository, absolute', repo, repo],
    ['a family in no repository, absolute', path.join(loose, 'family'), path.join(loose, 'family')],
  ])('names %s', (_, dir, expected) => {
    expect(portableImagesDir(dir)).toBe(expected);
  });

  // `from` is how a message about a missing family says where it looked. Titles name no temp
  // folder: Stryker picks a mutant's tests by title, and a title that changes every run is never run.
  it.each([
    [
      'the embedded family from anywhere',
      'package:dockerfiles',
      '/anywhere',
      path.join(repoRoot, 'dockerfiles'),
      `the family embedded in mesos-pipeline at ${repoRoot}`,
    ],
    [
      'a relative folder from a subfolder of a repository',
      'deep/family',
      path.join(repo, 'deep'),
      path.join(repo, 'deep/family'),
      `relative to the repository root ${repo}`,
    ],
    [
      'a relative folder from the root of a repository',
      'deep/family',
      repo,
      path.join(repo, 'deep/family'),
      `relative to the repository root ${repo}`,
    ],
    [
      'a relative folder outside any repository',
      'family',
      loose,
      path.join(loose, 'family'),
      `relative to ${loose}, which is in no git repository`,
    ],
    ['an absolute folder', '/abs/family', repo, '/abs/family', 'an absolute path'],
  ])('resolves %s', (_, imagesDir, cwd, dir, from) => {
    expect(resolveImagesDir(imagesDir, cwd)).toEqual({ dir, from });
  });

  it('finds the repository root from any folder inside it, and none outside', () => {
    expect(repositoryRoot(path.join(repo, 'deep/family'))).toBe(repo);
    expect(repositoryRoot(loose)).toBeUndefined();
  });

  it('applies a plan to the family found here: absolute contexts, the travelling plan untouched', async () => {
    const family = await loadFamily(fixtureFamily);
    const plan = makePlan({
      date: '2026-11-27',
      createdAt: '2026-11-27T00:00:00.000Z',
      repo: 'https://example.invalid/mesos.git',
      registry: { host: '127.0.0.1:5000', namespace: 'mesos' },
      family,
      imagesDir: 'package:test/fixtures/family',
      branches: [{ branch: 'master', sha: '1'.repeat(40) }],
    });
    const applied = applyFamily(plan, family);
    expect(applied.imagesDir).toBe(family.dir);
    expect(applied.branches[0]?.images.map((image) => image.context)).toEqual([
      path.join(family.dir, 'fixture-base'),
      path.join(family.dir, 'fixture-app'),
    ]);
    expect(plan.branches[0]?.images.map((image) => image.context)).toEqual(['fixture-base', 'fixture-app']);
  });
});

describe('planContext', () => {
  it('writes a nested context relative to the family folder, with / between its parts', async () => {
    const family = await loadFamily(fixtureFamily);
    expect(planContext(family, path.join(family.dir, 'nested', 'app'))).toBe('nested/app');
  });
});
