import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../pipeline/cli/run-cli.js';
import { GitRepo } from '../../helpers/git-repo.js';
import { fixtureFamily } from '../../helpers/paths.js';
import { testRuntime } from '../../helpers/runtime.js';

// `publish --plan FILE` refuses what it cannot apply, with exit 2 and one line, before it reaches
// an engine or a registry (none is running for these tests: DOCKER_HOST names nothing).

const repo = new GitRepo();
repo.commit('1.10.x');
const dir = mkdtempSync(path.join(tmpdir(), 'mp-plans-'));
afterAll(() => {
  repo.remove();
  rmSync(dir, { recursive: true, force: true });
});
const env = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

async function planFile(): Promise<string> {
  const runtime = testRuntime();
  const args = ['plan', '--json', '--repo', repo.dir, '--images', fixtureFamily, '--registry', '127.0.0.1:5000/x'];
  expect(await runCli(args, runtime)).toBe(0);
  const file = path.join(dir, `plan-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, runtime.stdout.text);
  return file;
}

async function publishWith(file: string, extra: string[] = []): Promise<{ code: number; stderr: string }> {
  const runtime = testRuntime({ env });
  const code = await runCli(['publish', '--plan', file, ...extra], runtime);
  expect(runtime.stdout.text).toBe('');
  return { code, stderr: runtime.stderr.text };
}

function writePlan(content: object): string {
  const file = path.join(dir, `plan-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

describe('publish --plan', () => {
  it.each([
    [['--date', '2026-11-28'], /^error: --plan fixes the repository, shas, date and registry; drop --date\n$/],
    [['--registry', '127.0.0.1:5000/x', '--repo', '/x'], /^error: --plan fixes .*; drop --repo, --registry\n$/],
    [['--branch', '1.7.x'], /^error: --branch "1.7.x" is not in the plan .*; planned branches: 1.10.x, master\n$/],
  ])('refuses %o with exit 2', async (extra, message) => {
    const result = await publishWith(await planFile(), extra);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('refuses a file that is not a plan, naming every problem', async () => {
    const result = await publishWith(
      writePlan({
        version: 2,
        date: '2026-11-27',
        registry: 'docker.io/x',
        repo: 'x',
        createdAt: 'x',
        imagesDir: '/x',
        branches: [
          {
            branch: 'master',
            sha: 'abc',
            version: 'master',
            versionPattern: '',
            host: { cgroupVersions: [1], privileged: true },
            images: [],
          },
        ],
      }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: --plan .*: 3 problems:\n {2}- branches\[0\].sha: must be a full commit sha\n {2}- branches\[0\].images: .*\n {2}- createdAt: "x" is not an ISO 8601 UTC instant.*\n$/,
    );
  });

  it.each([
    [1, 'an older'],
    [3, 'a newer'],
  ])('refuses a plan of format version %i in one line that says to plan again', async (version, by) => {
    // Version 1 listed tags by position; read as version 2 it would push to the wrong tags.
    const plan = JSON.parse(readFileSync(await planFile(), 'utf8')) as object;
    const file = writePlan({ ...plan, version });
    const result = await publishWith(file);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: --plan ${file}: the plan has format version ${version}, made by ${by} mesos-pipeline; this one reads ` +
        `version 2: make the plan again with this mesos-pipeline (plan --json)\n`,
    );
  });
});
