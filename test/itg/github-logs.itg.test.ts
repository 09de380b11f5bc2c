import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../helpers/cli.js';
import { copyFamily } from '../helpers/family-copy.js';
import { GitRepo } from '../helpers/git-repo.js';
import { publishNoPush } from '../helpers/no-push-publish.js';

// Logs made for people on GitHub: a group per branch and stage, the failure as an annotation with
// the pipeline's one line, and every line of the branch in a file the nightly uploads. Only under
// GitHub Actions (GITHUB_ACTIONS=true) does any workflow command appear.
// A repository per run: the two runs go at once, and each builds its own base uncached (the build
// arguments name the repository), so the first one's log holds the engine's steps as they ran.
const repos = [new GitRepo(), new GitRepo()];
for (const repo of repos) repo.commit('1.10.x');
// The app's service prints a line of its own (its container log); its command test fails.
const family = copyFamily({
  'fixture-app/serve.sh': (text) => text.replace('trap ', 'echo "fixture-app: serving on 8080"\ntrap '),
  'fixture-app/smoke.json': (text) => text.replace('"^fixture ${VERSION_PATTERN}$"', '"^nothing like it$"'),
});
const temps: string[] = [family];
afterAll(() => {
  for (const repo of repos) repo.remove();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

async function publishWithLogs(github: boolean): Promise<{ code: number | null; stderr: string; logDir: string }> {
  const logDir = path.join(mkdtempSync(path.join(tmpdir(), 'mp-logdir-')), 'logs');
  temps.push(path.dirname(logDir));
  const result = await publishNoPush(repos[github ? 0 : 1] as GitRepo, family, {
    branch: '1.10.x',
    prefix: 'gh',
    args: ['--log-dir', logDir],
    env: github ? { GITHUB_ACTIONS: 'true' } : {},
  });
  return { code: result.code, stderr: result.stderr, logDir };
}

const commands = (stderr: string): string[] => stderr.split('\n').filter((line) => line.startsWith('::'));

// Independent runs: all at once.
describe.concurrent('publish logs for GitHub Actions', () => {
  it('groups each stage, annotates the failure, and keeps the whole log of the branch in a file', async () => {
    const { code, stderr, logDir } = await publishWithLogs(true);
    expect(code).toBe(1);
    expect(commands(stderr)).toEqual([
      '::group::[fixture-base@1.10.x] build',
      '::endgroup::',
      '::group::[fixture-base@1.10.x] smoke test',
      '::endgroup::',
      '::group::[fixture-app@1.10.x] build',
      '::endgroup::',
      '::group::[fixture-app@1.10.x] smoke test',
      '::endgroup::',
      expect.stringMatching(
        /^::error title=1\.10\.x failed at smoke \(fixture-app\)::1 smoke test failed: "the base's tool is there"; first: stdout does not match /,
      ),
    ]);
    // A build's line is inside its group; the engine's step lines only with -v (and in the log file).
    const build = stderr.slice(stderr.indexOf('::group::[fixture-base@1.10.x] build'), stderr.indexOf('::endgroup::'));
    expect(build).toMatch(/\[fixture-base@1\.10\.x\] building from /);
    expect(stderr).not.toMatch(/Step \d+\/\d+ :/);

    expect(readdirSync(logDir).sort()).toEqual(['1.10.x.log', 'run.log']);
    const log = readFileSync(path.join(logDir, '1.10.x.log'), 'utf8');
    // The engine's own output, which stderr shows only with --verbose: the whole build.
    expect(log).toMatch(/^\S+Z \[fixture-base@1\.10\.x\] +Step \d+\/\d+ : RUN mkdir -p \/opt\/fixture/m);
    expect(log).toMatch(/^\S+Z \[fixture-base@1\.10\.x\] {4}---> Running in [0-9a-f]{12}$/m);
    expect(log).toMatch(/\[fixture-base@1\.10\.x\] {3}Successfully built [0-9a-f]{12}/);
    // Every smoke command's output and every service container's log.
    expect(log).toContain('[fixture-app@1.10.x]   fixture 1.10.0');
    expect(log).toContain('[fixture-app@1.10.x]   fixture-app: serving on 8080');
    expect(log).toContain('[1.10.x] error: FAILED at smoke (fixture-app)');
    // The log holds more than the report's 40-line tail.
    expect(log.split('\n').length).toBeGreaterThan(40);
  });

  it('writes no workflow command without GITHUB_ACTIONS, and the log file all the same', async () => {
    const { code, stderr, logDir } = await publishWithLogs(false);
    expect(code).toBe(1);
    expect(commands(stderr)).toEqual([]);
    expect(stderr).toContain('[1.10.x] error: FAILED at smoke (fixture-app)');
    expect(readFileSync(path.join(logDir, '1.10.x.log'), 'utf8')).toContain('fixture-app: serving on 8080');
  });

  it('annotates bad input under GitHub Actions too, with the same one line', async () => {
    const result = await runBuiltCli(['publish', '--date', '2026-13-01', '--dry-run'], { GITHUB_ACTIONS: 'true' });
    expect(result.code).toBe(2);
    const [line] = result.stderr.split('\n');
    expect(line).toMatch(/^error: --date /);
    expect(result.stderr).toContain(`::error title=mesos-pipeline publish::${line?.slice('error: '.length) ?? ''}`);
  });
});
