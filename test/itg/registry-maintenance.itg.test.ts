import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../pipeline/cli/run-cli.js';
import { runBuiltCli } from '../helpers/cli.js';
import { GitRepo } from '../helpers/git-repo.js';
import { fixtureFamily } from '../helpers/paths.js';
import { manifestOf, registryState } from '../helpers/registry.js';
import { hasManifest, pushSyntheticImage, putManifest } from '../helpers/registry-writes.js';
import { testRuntime } from '../helpers/runtime.js';
import { readStack, uniqueId } from '../helpers/stack.js';

const stack = readStack();
const open = { host: stack.registry };
const DAY = '2026-11-27';
const NOW = '2026-11-27T10:00:00Z';
const IMAGES = ['fixture-base', 'fixture-app'];

const namespace = `maint-${uniqueId()}`;
const repositories = IMAGES.map((image) => `${namespace}/${image}`);
const target = ['--registry', `${stack.registry}/${namespace}`, '--images', fixtureFamily];
const env = { HOME: '/nonexistent', MESOS_PIPELINE_RETRY_MIN_MS: '50' };

const repo = new GitRepo();
repo.commit('1.10.x');
repo.branches('1.11.x');
const scratch = mkdtempSync(path.join(tmpdir(), 'mp-maint-'));
afterAll(() => {
  repo.remove();
  rmSync(scratch, { recursive: true, force: true });
});

/** Synthetic images per repository, by role. */
const synthetic = new Map<string, { oldMaster: string; oldBranch: string; release: string; floating: string }>();
let summary = '';

// One real publish of master on DAY, then the dated tags a few weeks of nightlies leave behind:
// old dated tags re-tagged onto the floating tag's manifest (what skip-unchanged does), old tags of
// images no kept tag uses any more, and a release tag sharing its image with an old dated tag.
beforeAll(async () => {
  const summaryFile = path.join(scratch, 'step-summary.md');
  const published = await runBuiltCli(['publish', '--repo', repo.dir, ...target, '--date', DAY, '--branch', 'master'], {
    DOCKER_HOST: stack.dockerHost,
    GITHUB_STEP_SUMMARY: summaryFile,
    ...env,
  });
  expect(published.stderr).toContain('[master] published');
  summary = readFileSync(summaryFile, 'utf8');
  for (const repository of repositories) {
    const master = await manifestOf(open, repository, 'master');
    for (const tag of ['master-2026-11-20', 'master-2026-11-01'])
      await putManifest(stack.registry, repository, tag, master?.bytes as string);
    synthetic.set(repository, {
      oldMaster: await pushSyntheticImage(stack.registry, repository, ['master-2026-10-01', 'master-2026-10-02']),
      oldBranch: await pushSyntheticImage(stack.registry, repository, ['1.6.x-2019-01-01']),
      release: await pushSyntheticImage(stack.registry, repository, ['1.10.0', '1.10.x-2026-10-05']),
      floating: await pushSyntheticImage(stack.registry, repository, ['1.10.x', '1.10.x-2026-11-26']),
    });
    await pushSyntheticImage(stack.registry, repository, ['weird-2019-01-01']);
  }
});

const DOOMED = ['master-2026-11-01', 'master-2026-10-01', 'master-2026-10-02', '1.6.x-2019-01-01', '1.10.x-2026-10-05'];

describe('publish run summary', () => {
  it('goes to $GITHUB_STEP_SUMMARY with the digests the registry holds', async () => {
    for (const repository of repositories) {
      const digest = (await manifestOf(open, repository, 'master'))?.digest as string;
      expect(summary).toMatch(
        new RegExp(`\\| ${repository.split('/')[1]} \\| \`master-${DAY}\` \`master\` \`latest\` \\| \`${digest}\` \\|`),
      );
    }
    expect(summary).toMatch(/^## Mesos images 2026-11-27\n/);
    expect(summary).toContain(`| master | ✅ published | \`${repo.sha('master').slice(0, 12)}\``);
  });
});

describe('mesos-pipeline status', () => {
  it('lists the newest dated tag of every branch and image and exits 0 when all are fresh', async () => {
    const runtime = testRuntime({ now: NOW, env });
    expect(
      await runCli(['status', ...target, '--branch', 'master', '--branch', '1.10.x', '--max-age', '36h'], runtime),
    ).toBe(0);
    expect(runtime.stdout.text.split('\n').map((line) => line.split(/\s{2,}/))).toEqual([
      ['BRANCH', 'IMAGE', 'NEWEST DATED TAG', 'AGE', 'STATE'],
      ['master', 'fixture-base', 'master-2026-11-27', '10h 00m', 'ok'],
      ['master', 'fixture-app', 'master-2026-11-27', '10h 00m', 'ok'],
      ['1.10.x', 'fixture-base', '1.10.x-2026-11-26', '1d 10h', 'ok'],
      ['1.10.x', 'fixture-app', '1.10.x-2026-11-26', '1d 10h', 'ok'],
      [''],
    ]);
  });

  it('exits 1 naming the stale images once the newest tags are older than the limit', async () => {
    const runtime = testRuntime({ now: '2026-11-28T10:00:00Z', env });
    expect(
      await runCli(['status', ...target, '--branch', 'master', '--branch', '1.10.x', '--max-age', '36h'], runtime),
    ).toBe(1);
    expect(runtime.stdout.text).toMatch(/1\.10\.x {2}fixture-app {3}1\.10\.x-2026-11-26 {2}2d 10h {2}stale/);
    expect(runtime.stderr.text).toBe(
      'error: 2 of 4 images have no dated tag newer than 36h: fixture-base:1.10.x (2d 10h old), ' +
        'fixture-app:1.10.x (2d 10h old)\n',
    );
  });

  it('reads the branches from git and reports a branch without images as missing', async () => {
    const runtime = testRuntime({ now: NOW, env });
    expect(await runCli(['status', ...target, '--repo', repo.dir, '--json'], runtime)).toBe(1);
    const status = JSON.parse(runtime.stdout.text) as { rows: { branch: string; image: string; state: string }[] };
    expect(status.rows.map((row) => `${row.branch} ${row.image} ${row.state}`)).toEqual([
      '1.10.x fixture-base ok',
      '1.10.x fixture-app ok',
      '1.11.x fixture-base missing',
      '1.11.x fixture-app missing',
      'master fixture-base ok',
      'master fixture-app ok',
    ]);
    expect(runtime.stderr.text).toContain('fixture-base:1.11.x (no dated tag)');
  });
});

describe('mesos-pipeline prune', () => {
  it('with --dry-run lists exactly the old dated tags and deletes nothing', async () => {
    const before = await registryState(open, repositories);
    const runtime = testRuntime({ now: NOW, env });
    expect(await runCli(['prune', ...target, '--keep-days', '7', '--dry-run'], runtime)).toBe(0);
    const listed = runtime.stdout.text.trim().split('\n');
    expect(listed.map((line) => /^would delete \S+\/(\S+) \(/.exec(line)?.[1]).sort()).toEqual(
      repositories.flatMap((r) => DOOMED.map((tag) => `${r.split('/')[1]}:${tag}`)).sort(),
    );
    expect(listed.find((line) => line.includes('fixture-app:master-2026-11-01'))).toMatch(
      /tag only: kept tags share its image\)$/,
    );
    expect(listed.find((line) => line.includes('fixture-app:master-2026-10-01'))).toMatch(/with its manifest\)$/);
    expect(await registryState(open, repositories)).toEqual(before);

    const onlyMaster = testRuntime({ now: NOW, env });
    expect(await runCli(['prune', ...target, '--keep-days', '7', '--dry-run', '--branch', 'master'], onlyMaster)).toBe(
      0,
    );
    expect(onlyMaster.stdout.text.trim().split('\n')).toHaveLength(6);
  });

  it(
    'deletes old dated tags only; every kept tag keeps its digest and the images kept tags share ' + 'survive',
    async () => {
      const before = await registryState(open, repositories);
      const runtime = testRuntime({ now: NOW, env });
      expect(await runCli(['prune', ...target, '--keep-days', '7'], runtime)).toBe(0);
      expect(runtime.stderr.text).toContain(
        `deleted 10 dated tags from before 2026-11-20 (keeping 7 days) in 2 repositories of ` +
          `${stack.registry}/${namespace}; 16 tags kept`,
      );

      const expected = Object.fromEntries(
        Object.entries(before).filter(([key]) => !DOOMED.includes(key.slice(key.indexOf(':') + 1))),
      );
      expect(await registryState(open, repositories)).toEqual(expected);
      expect(
        Object.keys(expected)
          .map((key) => key.slice(key.indexOf(':') + 1))
          .sort(),
      ).toEqual(
        [
          ...['1.10.0', '1.10.x', '1.10.x-2026-11-26', 'latest', 'master', 'master-2026-11-20', `master-${DAY}`],
          'weird-2019-01-01',
        ]
          .flatMap((tag) => [tag, tag])
          .sort(),
      );
      for (const repository of repositories) {
        const images = synthetic.get(repository);
        // Images only pruned tags used are gone; those kept tags use are all there.
        expect(await hasManifest(stack.registry, repository, images?.oldMaster as string)).toBe(false);
        expect(await hasManifest(stack.registry, repository, images?.oldBranch as string)).toBe(false);
        expect(await hasManifest(stack.registry, repository, images?.release as string)).toBe(true);
        expect(await hasManifest(stack.registry, repository, before[`${repository}:master`] as string)).toBe(true);
      }

      const again = testRuntime({ now: NOW, env });
      expect(await runCli(['prune', ...target, '--keep-days', '7'], again)).toBe(0);
      expect(again.stdout.text).toBe('');
      expect(again.stderr.text).toContain('deleted 0 dated tags');
    },
  );
});
