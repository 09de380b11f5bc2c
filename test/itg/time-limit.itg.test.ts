import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFamily } from '../helpers/family-copy.js';
import { GitRepo } from '../helpers/git-repo.js';
import { publishNoPush } from '../helpers/no-push-publish.js';
import { dockerOf, readStack, uniqueId } from '../helpers/stack.js';
import type { RunReport } from '../../pipeline/publish/report.js';

// The nightly gives each publish a time limit below the job's timeout-minutes: the run stops
// itself cleanly and says the branch was cut off by time, instead of GitHub killing the job with no
// report at all.
const stack = readStack();
const docker = dockerOf(stack);
const repo = new GitRepo();
repo.commit('1.10.x');
// A "compile" that takes a minute, never cached.
const family = copyFamily({
  'fixture-base/Dockerfile': (text) =>
    text.replace('COPY fixture-version', `RUN echo ${uniqueId()} && sleep 60\nCOPY fixture-version`),
});
const work = mkdtempSync(path.join(tmpdir(), 'mp-time-limit-'));
afterAll(() => {
  repo.remove();
  rmSync(family, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('publish --time-limit', () => {
  it('stops cleanly at the limit, reports the branch as cut off by time, and exits 124', async () => {
    const runId = `limit-${uniqueId()}`;
    const reportFile = path.join(work, 'report.json');
    const summaryFile = path.join(work, 'summary.md');
    const started = Date.now();
    const result = await publishNoPush(repo, family, {
      branch: '1.10.x',
      prefix: 'limit',
      args: ['--time-limit', '10s', '--report', reportFile],
      env: { MESOS_PIPELINE_RUN_ID: runId, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile },
    });
    expect(result.code).toBe(124);
    // Well before the 60 s step would have ended by itself.
    expect(Date.now() - started).toBeLessThan(50_000);

    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as RunReport;
    expect(report.status).toBe('interrupted');
    expect(report.branches.map((branch) => [branch.branch, branch.status, branch.failure])).toEqual([
      [
        '1.10.x',
        'interrupted',
        { step: 'time-limit', message: 'cut off by the time limit of 10s (--time-limit), not by a failure' },
      ],
    ]);
    expect(readFileSync(summaryFile, 'utf8')).toMatch(/\| 1\.10\.x \| ⏱️ cut off by time \|/);
    expect(result.stderr).toMatch(
      /^::error title=1\.10\.x cut off by time::cut off by the time limit of 10s \(--time-limit\), not by a failure, after \d+\.\ds$/m,
    );
    // Nothing the run started is left: no smoke container, no build step container.
    const left = await docker.listContainers({ all: true, filters: { label: [`io.mesos-pipeline.run=${runId}`] } });
    expect(left).toEqual([]);
    const steps = await docker.listContainers({ all: true, filters: { ancestor: [stack.baseImage] } });
    expect(steps.filter((container) => container.Command.includes('sleep 60'))).toEqual([]);
  });
});
