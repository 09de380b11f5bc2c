import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../pipeline/cli/run-cli.js';
import { GitRepo } from '../../helpers/git-repo.js';
import { fixtureFamily } from '../../helpers/paths.js';
import { testRuntime } from '../../helpers/runtime.js';

// Bad input found by trying the CLI as a new user (issue 16): each is exit 2 with one line that
// names what is wrong and what would be right, before anything touches git, an engine or a registry.

const repo = new GitRepo();
repo.commit('1.11.x');
const dir = mkdtempSync(path.join(tmpdir(), 'mp-inputs-'));
afterAll(() => {
  repo.remove();
  rmSync(dir, { recursive: true, force: true });
});

const plan = ['plan', '--repo', repo.dir, '--images', fixtureFamily, '--registry', '127.0.0.1:5000/mesos'];
// The clock of testRuntime(): 2026-11-27T10:00:00Z.

async function refused(argv: string[], env: Record<string, string> = {}): Promise<string> {
  const runtime = testRuntime({ cwd: dir, env });
  const code = await runCli(argv, runtime);
  expect(runtime.stdout.text).toBe('');
  expect(code, runtime.stderr.text).toBe(2);
  const lines = runtime.stderr.text.trimEnd().split('\n');
  expect(lines, runtime.stderr.text).toHaveLength(1);
  return (lines[0] as string).replace(/^error: /, '');
}

async function accepted(argv: string[], env: Record<string, string> = {}): Promise<string> {
  const runtime = testRuntime({ cwd: dir, env });
  expect(await runCli(argv, runtime), runtime.stderr.text).toBe(0);
  return runtime.stdout.text;
}

describe('--date: a day near today, or an old day on purpose', () => {
  it.each([
    [
      '2099-12-31',
      /^--date 2099-12-31 is more than a day after today \(2026-11-27 UTC\); give a day from 2026-10-28 to 2026-11-28$/,
    ],
    ['2026-11-29', /^--date 2026-11-29 is more than a day after today \(2026-11-27 UTC\)/],
    [
      '1999-01-01',
      /^--date 1999-01-01 is more than 30 days before today \(2026-11-27 UTC\); give a day from 2026-10-28 to 2026-11-28, or add --rerun-old-date to re-run that old day on purpose$/,
    ],
    ['2026-10-27', /^--date 2026-10-27 is more than 30 days before today/],
  ])('plan refuses %s', async (day, message) => {
    expect(await refused([...plan, '--date', day])).toMatch(message);
  });

  it.each(['2026-11-28', '2026-11-27', '2026-10-28'])('plan accepts %s', async (day) => {
    expect(await accepted([...plan, '--json', '--date', day, '--branch', 'master'])).toContain(`"date": "${day}"`);
  });

  it('an old day with --rerun-old-date is a deliberate re-run', async () => {
    const out = await accepted([...plan, '--json', '--date', '1999-01-01', '--rerun-old-date', '--branch', 'master']);
    expect(out).toContain('"date": "1999-01-01"');
  });

  it('--rerun-old-date does not let a day in the future through', async () => {
    expect(await refused([...plan, '--date', '2099-12-31', '--rerun-old-date'])).toMatch(/more than a day after today/);
  });

  it('publish checks it too, before anything is touched', async () => {
    expect(
      await refused([
        'publish',
        '--dry-run',
        '--repo',
        repo.dir,
        '--images',
        fixtureFamily,
        '--registry',
        '127.0.0.1:5000/mesos',
        '--date',
        '2099-12-31',
      ]),
    ).toMatch(/^--date 2099-12-31 is more than a day after today/);
  });

  it('a day that does not exist says what would be valid', async () => {
    expect(await refused([...plan, '--date', '2026-02-30'])).toBe(
      '--date "2026-02-30" is not a real calendar day: 2026-02 has 28 days; for example 2026-02-28',
    );
  });
});

describe('registry settings', () => {
  it.each([
    [
      'bad',
      /^MESOS_PIPELINE_REGISTRY "bad": the registry host is missing; expected HOST\[:PORT\]\/NAMESPACE, for example docker\.io\/bad$/,
    ],
    [
      'org/team',
      /^MESOS_PIPELINE_REGISTRY "org\/team": the registry host is missing; .* for example docker\.io\/org\/team$/,
    ],
  ])('MESOS_PIPELINE_REGISTRY=%s is checked like --registry, and named', async (value, message) => {
    const argv = ['plan', '--repo', repo.dir, '--images', fixtureFamily];
    expect(await refused(argv, { MESOS_PIPELINE_REGISTRY: value })).toMatch(message);
    expect(await refused(['status', '--branch', 'master'], { MESOS_PIPELINE_REGISTRY: value })).toMatch(message);
    // The flag is checked the same way, and named as the flag.
    expect(await refused([...argv, '--registry', value])).toMatch(
      new RegExp(message.source.replace('^MESOS_PIPELINE_REGISTRY', '^--registry')),
    );
  });

  it.each([
    [
      ['--registry', '127.0.0.1:6000/x'],
      {},
      /^--registry "127\.0\.0\.1:6000\/x": port 6000 is one that Node's fetch refuses to use \("bad port"\); use another port, for example 5000$/,
    ],
    [
      [],
      { MESOS_PIPELINE_REGISTRY: 'localhost:10080/x' },
      /^MESOS_PIPELINE_REGISTRY "localhost:10080\/x": port 10080 is one that Node's fetch refuses/,
    ],
  ])('a port fetch cannot use is refused up front: %o %o', async (args, env, message) => {
    expect(await refused(['plan', '--repo', repo.dir, '--images', fixtureFamily, ...args], env)).toMatch(message);
  });
});

describe('other options and arguments', () => {
  it.each(['0h', '0d0h', '0s'])('status --max-age %s must be positive', async (value) => {
    expect(await refused(['status', '--branch', 'master', '--max-age', value])).toBe(
      `--max-age "${value}" must be longer than zero; for example 36h, 2d or 1d12h`,
    );
  });

  it.each([
    [
      ['plan', 'extra-arg'],
      'plan takes no arguments, but got "extra-arg"; options start with --, see mesos-pipeline plan --help',
    ],
    [
      ['publish', 'a', 'b'],
      'publish takes no arguments, but got "a" and "b"; options start with --, see mesos-pipeline publish --help',
    ],
    [
      ['matrix', 'plan.json', 'more.json'],
      'matrix takes 1 argument, but got 2: "plan.json" and "more.json"; see mesos-pipeline matrix --help',
    ],
  ])('%o gets our own message', async (argv, message) => {
    expect(await refused(argv)).toBe(message);
  });

  it('report given a plan says so', async () => {
    const planFile = path.join(dir, 'plan.json');
    writeFileSync(planFile, await accepted([...plan, '--json', '--branch', 'master']));
    expect(await refused(['report', '--no-issues', planFile])).toBe(
      `${planFile}: this is a plan (written by plan --json), not a run report; give the JSON files publish --report ` +
        `wrote`,
    );
  });

  it('a broken images.json: every problem on a line of its own, each once', async () => {
    const family = mkdtempSync(path.join(dir, 'family-'));
    writeFileSync(
      path.join(family, 'images.json'),
      JSON.stringify({
        images: [
          { name: 'Bad Name', context: 5 },
          { name: 'Bad Name', base: 'nope', extra: 1 },
        ],
      }),
    );
    const runtime = testRuntime({ cwd: dir });
    expect(await runCli([...plan.slice(0, 3), '--images', family, '--registry', '127.0.0.1:5000/mesos'], runtime)).toBe(
      2,
    );
    const lines = runtime.stderr.text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^error: .*images\.json: \d+ problems:$/);
    const problems = lines.slice(1);
    expect(problems.length).toBeGreaterThanOrEqual(3);
    for (const line of problems) expect(line).toMatch(/^ {2}- images\[\d\]\.?\w*: /);
    expect(new Set(problems).size).toBe(problems.length);
    expect(Number(/(\d+) problems/.exec(lines[0] as string)?.[1])).toBe(problems.length);
  });
});
