import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../pipeline/cli/run-cli.js';
import { GitRepo } from '../../helpers/git-repo.js';
import { fixtureFamily } from '../../helpers/paths.js';
import { testRuntime } from '../../helpers/runtime.js';

const repo = new GitRepo();
repo.commit('1.10.x');
repo.commit('1.9.x');
repo.branches('1.6.x', 'feature/1.8.x');
afterAll(() => repo.remove());

const base = ['plan', '--repo', repo.dir, '--images', fixtureFamily, '--registry', '127.0.0.1:5000/mesos'];

describe('mesos-pipeline plan', () => {
  it('prints one JSON document on stdout and nothing else there', async () => {
    const runtime = testRuntime({ now: '2026-11-27T23:59:59Z' });
    expect(await runCli([...base, '--json'], runtime)).toBe(0);
    const plan = JSON.parse(runtime.stdout.text) as { date: string; branches: { branch: string; sha: string }[] };
    expect(plan.date).toBe('2026-11-27');
    expect(plan.branches.map((b) => [b.branch, b.sha])).toEqual([
      ['1.9.x', repo.sha('1.9.x')],
      ['1.10.x', repo.sha('1.10.x')],
      ['master', repo.sha('master')],
    ]);
  });

  it('uses the UTC day of the clock, not the host time zone', async () => {
    const runtime = testRuntime({ now: '2026-11-28T00:00:01Z' });
    expect(await runCli([...base, '--json', '--branch', 'master'], runtime)).toBe(0);
    expect(JSON.parse(runtime.stdout.text)).toMatchObject({
      date: '2026-11-28',
      branches: [
        {
          images: [
            {
              tags: {
                dated: '127.0.0.1:5000/mesos/fixture-base:master-2026-11-28',
                floating: '127.0.0.1:5000/mesos/fixture-base:master',
              },
            },
            {},
          ],
        },
      ],
    });
  });

  it('honours --date for re-runs (of a day this long ago: with --rerun-old-date)', async () => {
    const runtime = testRuntime();
    const args = [...base, '--json', '--date', '2026-01-02', '--rerun-old-date', '--branch', '1.9.x'];
    expect(await runCli(args, runtime)).toBe(0);
    expect(runtime.stdout.text).toContain('127.0.0.1:5000/mesos/fixture-app:1.9.x-2026-01-02');
  });

  it('prints a table without --json', async () => {
    const runtime = testRuntime();
    expect(await runCli(base, runtime)).toBe(0);
    expect(runtime.stdout.text).toMatch(/^date 2026-11-27 {2}registry 127\.0\.0\.1:5000\/mesos/);
    expect(runtime.stdout.text).toContain('fixture-app (on fixture-base)');
  });

  it.each([
    [
      ['--branch', '1.6.x'],
      /^error: --branch "1.6.x" is older than the oldest supported release branch 1.7.x; eligible branches: 1.9.x, 1.10.x, master\n$/,
    ],
    [['--branch', 'feature/1.8.x'], /--branch "feature\/1.8.x" is not master or a release branch/],
    [
      ['--date', '2026-02-30'],
      /^error: --date "2026-02-30" is not a real calendar day: 2026-02 has 28 days; for example 2026-02-28\n$/,
    ],
    [['--date', 'yesterday'], /--date "yesterday" is not a date in the form YYYY-MM-DD/],
    [['--registry', 'localhost:5000'], /--registry "localhost:5000": a namespace is missing/],
    [['--min-version', '1'], /--min-version "1" is not MAJOR.MINOR/],
    [['--frobnicate'], /^error: unknown option '--frobnicate'; see mesos-pipeline --help\n$/],
    [['--images', '/nonexistent'], /images.json not found/],
    [['--date'], /option '--date <YYYY-MM-DD>' argument missing/],
    [
      ['--brnch', '1.9.x'],
      /^error: unknown option '--brnch' \(did you mean --branch\?\); see mesos-pipeline --help\n$/,
    ],
    [
      ['--registry', '127.0.0.1:70000/mesos'],
      /--registry "127.0.0.1:70000\/mesos": port 70000 is not a TCP port \(1 to 65535\)/,
    ],
    // A token in the URL would be printed and baked into the source label and GIT_REPO of every image.
    [
      ['--repo', 'https://x-access-token:ghs_s3cret@github.com/apache/mesos.git'],
      /^error: --repo https:\/\/\*\*\*@github.com\/apache\/mesos.git: the URL carries credentials.*let git's credential helper supply them\n$/,
    ],
    [
      ['--repo', 'https://ghp_s3cret@github.com/apache/mesos.git'],
      /--repo https:\/\/\*\*\*@github.com\/apache\/mesos.git: the URL carries credentials/,
    ],
  ])('refuses %o with exit code 2 and one line', async (extra, message) => {
    const runtime = testRuntime();
    expect(await runCli([...base, ...extra], runtime)).toBe(2);
    expect(runtime.stderr.text).toMatch(message);
    expect(runtime.stderr.text.trimEnd().split('\n')).toHaveLength(1);
    expect(runtime.stdout.text).toBe('');
    expect(runtime.stderr.text).not.toContain('s3cret');
  });

  it.each([
    [
      { MESOS_PIPELINE_REGISTRY: 'docker.io/Mesos' },
      /^error: MESOS_PIPELINE_REGISTRY "docker.io\/Mesos": "Mesos" is not a valid repository path component/,
    ],
    [{ MESOS_PIPELINE_REPO: ' ' }, /^error: MESOS_PIPELINE_REPO is empty/],
    [
      { MESOS_PIPELINE_REPO: 'https://u:s3cret@example.invalid/mesos.git' },
      /^error: MESOS_PIPELINE_REPO https:\/\/\*\*\*@example.invalid\/mesos.git: the URL carries credentials/,
    ],
  ])('names the environment variable a bad value came from: %o', async (env, message) => {
    const runtime = testRuntime({ env });
    expect(await runCli(['plan', '--images', fixtureFamily], runtime)).toBe(2);
    expect(runtime.stderr.text).toMatch(message);
    expect(runtime.stderr.text).not.toContain('s3cret');
  });

  it('accepts a user name without a secret in an ssh URL', async () => {
    const runtime = testRuntime();
    // Refused by git (nothing listens there), not as input: exit 1, not 2.
    expect(
      await runCli(['plan', '--repo', 'ssh://git@127.0.0.1:1/mesos.git', '--images', fixtureFamily], runtime),
    ).toBe(1);
    expect(runtime.stderr.text).toMatch(/cannot read the branches of ssh:\/\/git@127.0.0.1:1\/mesos.git/);
  });

  it('exits 1 and names the repository when git cannot read it', async () => {
    const runtime = testRuntime();
    expect(await runCli(['plan', '--repo', '/nonexistent/mesos', '--images', fixtureFamily], runtime)).toBe(1);
    expect(runtime.stderr.text).toMatch(/cannot read the branches of \/nonexistent\/mesos/);
  });

  it('prints help and exits 0', async () => {
    const runtime = testRuntime();
    expect(await runCli(['plan', '--help'], runtime)).toBe(0);
    expect(runtime.stdout.text).toContain('--branch <name>');
  });
});
