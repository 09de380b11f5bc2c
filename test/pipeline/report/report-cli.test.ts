import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../pipeline/cli/run-cli.js';
import type { RunReport } from '../../../pipeline/publish/report.js';
import { GitHubStandIn } from '../../helpers/github-stand-in.js';
import { branchReport, runReport } from '../../helpers/reports.js';
import { testRuntime, type TestRuntime } from '../../helpers/runtime.js';

const TOKEN = 'ghs_standInToken0123456789';
const RUN_URL = 'https://github.example/apache/mesos-images/actions/runs/42';
const TITLE = (branch: string): string => `Nightly image build failing: ${branch}`;

let github: GitHubStandIn;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mp-report-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  github = new GitHubStandIn();
  await github.start();
});
afterEach(() => github.stop());

let counter = 0;
function write(report: RunReport): string {
  counter += 1;
  const file = path.join(dir, `report-${counter}.json`);
  writeFileSync(file, JSON.stringify(report));
  return file;
}

function runtimeWith(env: Record<string, string> = {}): TestRuntime {
  const summary = path.join(dir, `summary-${(counter += 1)}.md`);
  return testRuntime({
    cwd: dir,
    env: {
      GITHUB_API_URL: github.baseUrl,
      GITHUB_TOKEN: TOKEN,
      GITHUB_REPOSITORY: 'apache/mesos-images',
      GITHUB_SERVER_URL: 'https://github.example',
      GITHUB_RUN_ID: '42',
      GITHUB_STEP_SUMMARY: summary,
      ...env,
    },
  });
}

const writes = (): string[] => github.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);

describe('mesos-pipeline report', () => {
  it('opens an issue for a failing branch with the failing step, log tail and run URL', async () => {
    const runtime = runtimeWith();
    const code = await runCli(
      ['report', write(runReport([branchReport('master', 'failed'), branchReport('1.10.x', 'published')]))],
      runtime,
    );
    expect(code).toBe(0);
    expect(writes()).toEqual(['POST /repos/apache/mesos-images/issues']);
    const [issue] = github.issues;
    expect(issue?.title).toBe(TITLE('master'));
    expect(issue?.body).toContain('| Failing step | `smoke` (fixture-app) |');
    expect(issue?.body).toContain('smoke test "version" failed: expected fixture 1.12');
    expect(issue?.body).toContain('starting\nboom: exit 3');
    expect(issue?.body).toContain(RUN_URL);
    expect(github.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
    expect(runtime.stderr.text).toContain(`opened issue #1 "${TITLE('master')}"`);
    expect(
      `${runtime.stdout.text}${runtime.stderr.text}${readFileSync(runtime.env.GITHUB_STEP_SUMMARY as string, 'utf8')}`,
    ).not.toContain(TOKEN);
  });

  it(
    'comments on the open issue instead of opening a duplicate; closed issues and pull requests do not ' + 'count',
    async () => {
      github.seed({ title: TITLE('master'), state: 'closed' });
      github.seed({ title: TITLE('master'), state: 'open', pullRequest: true });
      const open = github.seed({ title: TITLE('master'), state: 'open' });
      const code = await runCli(
        ['report', write(runReport([branchReport('master', 'failed')], { date: '2026-11-28' }))],
        runtimeWith(),
      );
      expect(code).toBe(0);
      expect(writes()).toEqual([`POST /repos/apache/mesos-images/issues/${open.number}/comments`]);
      expect(open.comments[0]).toMatch(
        /^Still failing on 2026-11-28 in https:\/\/github\.example\/apache\/mesos-images\/actions\/runs\/42\./,
      );
      expect(open.comments[0]).toContain('boom: exit 3');
      expect(github.issues).toHaveLength(3);
    },
  );

  it('finds the open issue past the first page of open issues', async () => {
    for (let i = 0; i < 130; i += 1) github.seed({ title: `unrelated ${i}`, state: 'open' });
    const open = github.seed({ title: TITLE('1.11.x'), state: 'open' });
    expect(await runCli(['report', write(runReport([branchReport('1.11.x', 'failed')]))], runtimeWith())).toBe(0);
    expect(writes()).toEqual([`POST /repos/apache/mesos-images/issues/${open.number}/comments`]);
    expect(github.requests.filter((r) => r.method === 'GET')).toHaveLength(2);
  });

  it.each(['published', 'unchanged'] as const)(
    'closes the issue with a comment when the branch is %s again',
    async (status) => {
      const open = github.seed({ title: TITLE('1.10.x'), state: 'open' });
      expect(await runCli(['report', write(runReport([branchReport('1.10.x', status)]))], runtimeWith())).toBe(0);
      expect(writes()).toEqual([
        `POST /repos/apache/mesos-images/issues/${open.number}/comments`,
        `PATCH /repos/apache/mesos-images/issues/${open.number}`,
      ]);
      expect(open.comments[0]).toMatch(
        new RegExp(
          `^\`1\\.10\\.x\` published again \\(${status}, commit \`[0-9a-f]{40}\`\\) on 2026-11-27 in ${RUN_URL.replace(/[./]/g, '\\$&')}\\. Closing\\.$`,
        ),
      );
      expect(open).toMatchObject({ state: 'closed', stateReason: 'completed' });
    },
  );

  it('changes nothing for passing branches without an issue, nor for branches only tested', async () => {
    const open = github.seed({ title: TITLE('1.9.x'), state: 'open' });
    expect(
      await runCli(
        ['report', write(runReport([branchReport('1.9.x', 'tested'), branchReport('master', 'published')]))],
        runtimeWith(),
      ),
    ).toBe(0);
    expect(writes()).toEqual([]);
    expect(open.state).toBe('open');
  });

  it('treats a planned branch without a report as failing', async () => {
    expect(
      await runCli(
        ['report', '--expect', '1.11.x,master', write(runReport([branchReport('master', 'published')]))],
        runtimeWith(),
      ),
    ).toBe(0);
    expect(github.issues.map((issue) => issue.title)).toEqual([TITLE('1.11.x')]);
    expect(github.issues[0]?.body).toContain('| Failing step | `report` |');
    expect(github.issues[0]?.body).toContain('no run report');
  });

  it('goes on with the other branches when GitHub refuses one, then exits 1 naming the call', async () => {
    github.failures.set('POST /repos/apache/mesos-images/issues', 403);
    const open = github.seed({ title: TITLE('1.10.x'), state: 'open' });
    const runtime = runtimeWith();
    const code = await runCli(
      ['report', write(runReport([branchReport('master', 'failed'), branchReport('1.10.x', 'published')]))],
      runtime,
    );
    expect(code).toBe(1);
    expect(open.state).toBe('closed');
    expect(runtime.stderr.text).toMatch(
      /^error: could not update the failure issue: master: GitHub opening an issue in apache\/mesos-images: 403 Resource not accessible by integration.*; the token needs the issues: write permission$/m,
    );
    expect(runtime.stderr.text).not.toContain(TOKEN);
  });

  it('writes the summary to $GITHUB_STEP_SUMMARY, after what the step wrote before', async () => {
    const runtime = runtimeWith();
    writeFileSync(runtime.env.GITHUB_STEP_SUMMARY as string, 'earlier\n');
    expect(
      await runCli(['report', '--no-issues', write(runReport([branchReport('master', 'published')]))], runtime),
    ).toBe(0);
    const summary = readFileSync(runtime.env.GITHUB_STEP_SUMMARY as string, 'utf8');
    expect(summary).toMatch(/^earlier\n## Mesos images 2026-11-27\n/);
    expect(summary).toContain(`[workflow run](${RUN_URL})`);
    expect(runtime.stdout.text).toBe('');
    expect(github.requests).toEqual([]);
  });

  it('prints the summary on stdout outside GitHub Actions and leaves issues alone without a token', async () => {
    const runtime = testRuntime({ cwd: dir, env: { GITHUB_API_URL: github.baseUrl } });
    expect(await runCli(['report', write(runReport([branchReport('master', 'failed')]))], runtime)).toBe(0);
    expect(runtime.stdout.text).toMatch(/^## Mesos images 2026-11-27\n/);
    expect(runtime.stderr.text).toContain('failure issues: skipped; they need GITHUB_TOKEN and GITHUB_REPOSITORY');
    expect(github.requests).toEqual([]);
  });

  it.each([
    [['report'], {}, /^error: no report files given/],
    [['report', 'nope.json'], {}, /^error: nope\.json: no such file/],
    [['report', '--expect', 'master,main'], {}, /^error: --expect "main" is not master or a release branch/],
    [['report', 'bad.json'], {}, /^error: bad\.json: 2 problems:\n {2}- version: .*\n {2}- branches\[0\]\.status: /],
    [['report', 'good.json'], { GITHUB_REPOSITORY: 'mesos' }, /^error: GITHUB_REPOSITORY "mesos" is not OWNER\/NAME/],
  ])('refuses %o with exit 2, one line and no GitHub call', async (args, env, message) => {
    writeFileSync(
      path.join(dir, 'bad.json'),
      JSON.stringify({
        ...runReport([branchReport('master', 'failed')]),
        version: 2,
        branches: [{ ...branchReport('master', 'failed'), status: 'exploded' }],
      }),
    );
    writeFileSync(path.join(dir, 'good.json'), JSON.stringify(runReport([branchReport('master', 'failed')])));
    const runtime = runtimeWith(env);
    expect(await runCli(args, runtime)).toBe(2);
    expect(runtime.stderr.text).toMatch(message);
    // One error line, then each problem of a list on its own line.
    expect(
      runtime.stderr.text
        .trimEnd()
        .split('\n')
        .filter((line) => !/^ {2}- /.test(line)),
    ).toHaveLength(1);
    expect(github.requests).toEqual([]);
  });
});

describe('mesos-pipeline report: GitHub API trouble', () => {
  it('a GitHub API that answers 500: our one error line, none of Octokit’s own log lines', async () => {
    github.failures.set('GET /repos/apache/mesos-images/issues', 500);
    const runtime = runtimeWith();
    expect(await runCli(['report', write(runReport([branchReport('master', 'failed')]))], runtime)).toBe(1);
    const lines = runtime.stderr.text.trimEnd().split('\n');
    expect(lines.filter((line) => /^error: /.test(line))).toEqual([
      expect.stringMatching(
        /^error: could not update the failure issue: master: GitHub listing open issues in apache\/mesos-images: 500 /,
      ),
    ]);
    expect(runtime.stderr.text).not.toMatch(/GET \/repos|GET https?:/);
  });

  it('an unreachable GitHub API: reported as a connection failure, not as "500"', async () => {
    const closed = await closedPort();
    const runtime = runtimeWith({ GITHUB_API_URL: `http://127.0.0.1:${closed}` });
    expect(await runCli(['report', write(runReport([branchReport('master', 'failed')]))], runtime)).toBe(1);
    const errors = runtime.stderr.text.split('\n').filter((line) => /^error: /.test(line));
    expect(errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error: could not update the failure issue: master: GitHub listing open issues in apache/mesos-images: cannot reach http://127\\.0\\.0\\.1:${closed}: connection refused`,
        ),
      ),
    ]);
    expect(runtime.stderr.text).not.toMatch(/\b500\b/);
    expect(runtime.stderr.text).not.toMatch(/GET \/repos|GET https?:/);
  });
});

/** A port nothing listens on: one the system just gave out and that was closed again. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
