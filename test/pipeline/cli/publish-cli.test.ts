import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../pipeline/cli/run-cli.js';
import { printResults } from '../../../pipeline/commands/publish.js';
import { publish } from '../../../pipeline/publish/publish.js';
import { fakeRun, planOf, PUSH, sha } from '../../helpers/fake-run.js';
import { GitRepo } from '../../helpers/git-repo.js';
import { fixtureFamily } from '../../helpers/paths.js';
import { testRuntime } from '../../helpers/runtime.js';

const repo = new GitRepo();
repo.commit('1.7.x');
afterAll(() => repo.remove());

describe('mesos-pipeline publish', () => {
  it('--dry-run prints the plan and reaches no engine and no registry', async () => {
    const runtime = testRuntime({ env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    const args = ['publish', '--dry-run', '--json', '--repo', repo.dir, '--images', fixtureFamily];
    expect(await runCli([...args, '--registry', '127.0.0.1:2/nothing-listens', '--branch', '1.7.x'], runtime)).toBe(0);
    expect(JSON.parse(runtime.stdout.text)).toMatchObject({
      version: 2,
      registry: '127.0.0.1:2/nothing-listens',
      branches: [{ branch: '1.7.x', sha: repo.sha('1.7.x') }],
    });
    expect(runtime.stderr.text).toBe('');
  });

  it('prints each published reference with its digest, or each image tested with --no-push', async () => {
    const run = fakeRun();
    const published = await publish(planOf([{ branch: 'master', sha: sha(1) }]), run.deps, PUSH, run.shared, 'r1');
    const runtime = testRuntime();
    printResults(published, false, runtime);
    const [base, app] = published.branches[0]?.images ?? [];
    expect(runtime.stdout.text).toBe(
      [
        ...['master-2026-11-27', 'master', 'latest'].map((tag) => `memory.test/ns/base:${tag} ${base?.digest}`),
        ...['master-2026-11-27', 'master', 'latest'].map((tag) => `memory.test/ns/app:${tag} ${app?.digest}`),
        '',
      ].join('\n'),
    );

    const second = fakeRun();
    const tested = await publish(
      planOf([{ branch: 'master', sha: sha(1) }]),
      second.deps,
      { ...PUSH, push: false },
      second.shared,
      'r2',
    );
    const testedOut = testRuntime();
    printResults(tested, false, testedOut);
    expect(testedOut.stdout.text).toMatch(
      /^tested base@master sha256:[0-9a-f]{64}\ntested app@master sha256:[0-9a-f]{64}\n$/,
    );
  });
});
