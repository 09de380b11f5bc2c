import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
// The publish command loads lazily (run-cli.ts); its first, cold load under a busy machine's
// transform can take seconds, which is not what these tests time.
beforeAll(() => import('../../../pipeline/commands/publish.js'), 60_000);

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

  describe("checks the plan's date against the day it is applied on, as --date is checked", () => {
    // The plan is made on 2026-11-27 for that day, and applied later or earlier: an old plan
    // file, or a plan made for a far day, would leave a dated tag in the registry for good.
    async function applyOn(now: string, extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
      const runtime = testRuntime({ env, now });
      const code = await runCli(['publish', '--plan', await planFile(), '--dry-run', ...extra], runtime);
      return { code, stdout: runtime.stdout.text, stderr: runtime.stderr.text };
    }

    it.each([
      [
        '2027-01-10T08:00:00Z',
        [],
        /2026-11-27 is more than 30 days before today \(2027-01-10 UTC\); plan again for a day from 2026-12-11 to 2027-01-11, or add --rerun-old-date/,
      ],
      ['2026-11-25T23:00:00Z', [], /2026-11-27 is more than a day after today \(2026-11-25 UTC\)/],
      ['2026-11-25T23:00:00Z', ['--rerun-old-date'], /2026-11-27 is more than a day after today/],
    ])('refuses it on %s (%o) with exit 2 and one line', async (now, extra, message) => {
      const result = await applyOn(now, extra);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(new RegExp(`^error: --plan \\S+: the plan's date ${message.source}.*\n$`));
      expect(result.stderr.split('\n')).toHaveLength(2);
    });

    it.each([
      ['2027-01-10T08:00:00Z', ['--rerun-old-date']],
      ['2026-12-27T23:59:00Z', []],
      ['2026-11-26T00:00:00Z', []],
    ])('applies it on %s (%o)', async (now, extra) => {
      const result = await applyOn(now, extra);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('2026-11-27');
    });
  });
});
