import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../helpers/cli.js';
import { GitRepo } from '../helpers/git-repo.js';
import { quickFamily } from '../helpers/quick-family.js';
import { readStack, uniqueId } from '../helpers/stack.js';

// The nightly makes its plan in one job and applies it in others, each on its own runner with its
// own checkout somewhere else. A plan names its folders relative to the repository (or the family
// embedded in mesos-pipeline by name), so it applies from any clone.
const stack = readStack();
// Where the plan's folders are is the subject, not the smoke run: smoke specs that start no container.
const family = quickFamily();
const mesos = new GitRepo();
mesos.commit('1.10.x');
const temps: string[] = [];
afterAll(() => {
  mesos.remove();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.invalid',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.invalid',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    },
  });

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** A repository that keeps an image family in `images/`, as a project using mesos-pipeline would. */
function checkoutWithFamily(): string {
  const dir = tempDir('mp-checkout-a-');
  cpSync(family, path.join(dir, 'images'), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '.');
  git(dir, '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'the family');
  return dir;
}

function cloneOf(source: string): string {
  const dir = path.join(tempDir('mp-checkout-b-'), 'elsewhere', 'clone');
  git(tmpdir(), 'clone', '-q', source, dir);
  return dir;
}

async function planIn(cwd: string, extra: string[], namespace: string): Promise<string> {
  const made = await runBuiltCli(
    [
      'plan',
      '--json',
      '--repo',
      mesos.dir,
      '--branch',
      '1.10.x',
      '--registry',
      `${stack.registry}/${namespace}`,
      '--date',
      '2026-11-27',
      ...extra,
    ],
    {},
    { cwd },
  );
  expect(made.stderr).toBe('');
  expect(made.code).toBe(0);
  const file = path.join(tempDir('mp-plan-'), 'plan.json');
  writeFileSync(file, made.stdout);
  return file;
}

// Each test has checkouts and plans of its own: they run at once.
describe.concurrent('a plan is portable between checkouts', () => {
  it('names its folders relative to the repository and applies from a clone at another path', async () => {
    const namespace = `portable-${uniqueId()}`;
    const original = checkoutWithFamily();
    const file = await planIn(original, ['--images', 'images'], namespace);
    const text = readFileSync(file, 'utf8');
    const plan = JSON.parse(text) as { imagesDir: string; branches: { images: { name: string; context: string }[] }[] };
    expect(plan.imagesDir).toBe('images');
    expect(plan.branches[0]?.images.map((image) => [image.name, image.context])).toEqual([
      ['fixture-base', 'fixture-base'],
      ['fixture-app', 'fixture-app'],
    ]);
    expect(text).not.toContain(original);

    // The plan job's checkout is gone; the publish job has its own, elsewhere.
    const clone = cloneOf(original);
    rmSync(original, { recursive: true, force: true });

    const dry = await runBuiltCli(['publish', '--plan', file, '--dry-run', '--json'], {}, { cwd: clone });
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    // What a dry run prints is the plan as it travels: still relative.
    expect((JSON.parse(dry.stdout) as { imagesDir: string }).imagesDir).toBe('images');

    // From a folder inside the clone too: paths resolve against the repository root, not the cwd.
    const real = await runBuiltCli(
      ['publish', '--plan', file, '--no-push', '--json'],
      { DOCKER_HOST: stack.dockerHost },
      { cwd: path.join(clone, 'images', 'fixture-app') },
    );
    expect(real.stderr).toContain('[1.10.x] tested');
    expect(real.code).toBe(0);
    const report = JSON.parse(real.stdout) as { branches: { status: string; images: { status: string }[] }[] };
    expect(report.branches.map((branch) => branch.status)).toEqual(['tested']);
    expect(report.branches[0]?.images.map((image) => image.status)).toEqual(['tested', 'tested']);
  });

  it('names the plan field when its folder is not where the plan is applied', async () => {
    const original = checkoutWithFamily();
    const file = await planIn(original, ['--images', 'images'], `portable-${uniqueId()}`);
    const unrelated = tempDir('mp-unrelated-');
    const result = await runBuiltCli(['publish', '--plan', file, '--dry-run'], {}, { cwd: unrelated });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: --plan .*plan\.json: imagesDir "images": no images\.json in .*; .*--images <dir>\n$/,
    );
    expect(result.stderr).not.toContain('--images images:');
  });

  it('names the embedded family by name, so any installation of mesos-pipeline applies it', async () => {
    const file = await planIn(tempDir('mp-cwd-'), [], `portable-${uniqueId()}`);
    const plan = JSON.parse(readFileSync(file, 'utf8')) as { imagesDir: string };
    expect(plan.imagesDir).toBe('package:dockerfiles');
    const dry = await runBuiltCli(['publish', '--plan', file, '--dry-run'], {}, { cwd: tempDir('mp-cwd-') });
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('mesos-centos');
  });

  it('names a context that does not match the family', async () => {
    const original = checkoutWithFamily();
    const file = await planIn(original, ['--images', 'images'], `portable-${uniqueId()}`);
    const plan = JSON.parse(readFileSync(file, 'utf8')) as { branches: { images: { context: string }[] }[] };
    (plan.branches[0]?.images[1] as { context: string }).context = 'somewhere-else';
    writeFileSync(file, JSON.stringify(plan));
    const result = await runBuiltCli(['publish', '--plan', file, '--dry-run'], {}, { cwd: original });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: --plan .*: branches\[0\]\.images\[1\]\.context "somewhere-else" is not where .*images\.json has fixture-app \("fixture-app"\); plan again\n$/,
    );
  });
});
