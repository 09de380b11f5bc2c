import { afterAll, describe, expect, it } from 'vitest';
import { GitRepo } from '../helpers/git-repo.js';
import { runPlan } from '../helpers/plan-file.js';

// A real repository with the branch names apache/mesos has, the odd ones included, and a
// release tag on one branch head.
const repo = new GitRepo();
for (const branch of ['1.6.x', '1.7.x', '1.9.x', '1.10.x', '1.11.x']) repo.commit(branch);
repo.branches('1.7.x-rc', 'feature/1.8.x', 'dependabot/bundler/site/nokogiri-1.14.3', 'revert-433-fix');
repo.git('update-ref', 'refs/remotes/0.10.x', 'master');
repo.git('update-ref', 'refs/pull/422/head', repo.sha('1.10.x'));
repo.tag('1.11.0-rc1', '1.11.x');
repo.tag('1.11.0', '1.11.x');
repo.tag('1.10.0', '1.10.x~1', false);
afterAll(() => repo.remove());

const image = (name: string, branch: string, sha: string, version: string | undefined, base?: string) => ({
  name,
  ...(base ? { base } : {}),
  // Relative to imagesDir: a plan applies from any checkout (plan-portable.itg.test.ts).
  context: name,
  tags: {
    dated: `127.0.0.1:5000/mesos/${name}:${branch}-2026-11-27`,
    floating: `127.0.0.1:5000/mesos/${name}:${branch}`,
    ...(version ? { version: `127.0.0.1:5000/mesos/${name}:${version}` } : {}),
    ...(branch === 'master' ? { also: [`127.0.0.1:5000/mesos/${name}:latest`] } : {}),
  },
  buildArgs: { GIT_REPO: repo.dir, GIT_SHA: sha, GIT_BRANCH: branch, VERSION: version ?? branch },
  labels: expect.objectContaining({
    'org.opencontainers.image.revision': sha,
    'org.opencontainers.image.ref.name': branch,
  }),
});

describe('mesos-pipeline plan --json against a real repository', () => {
  it('prints the whole plan', async () => {
    const result = await runPlan({ repo: repo.dir, registry: '127.0.0.1:5000/mesos', date: '2026-11-27' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const expected = ['1.7.x', '1.9.x', '1.10.x', '1.11.x', 'master'].map((branch) => {
      const sha = repo.sha(branch);
      const version = branch === '1.11.x' ? '1.11.0' : undefined;
      return {
        branch,
        sha,
        ...(branch === '1.11.x' ? { releaseTag: '1.11.0' } : {}),
        version: branch === '1.11.x' ? '1.11.0' : branch,
        versionPattern: expect.any(String),
        // The fixture family declares no host needs: any host runs its service tests.
        host: { cgroupVersions: [1, 2], privileged: false },
        images: [
          image('fixture-base', branch, sha, version),
          image('fixture-app', branch, sha, version, 'fixture-base'),
        ],
      };
    });
    expect(JSON.parse(result.stdout)).toEqual({
      version: 2,
      date: '2026-11-27',
      registry: '127.0.0.1:5000/mesos',
      repo: repo.dir,
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      // The fixture family is inside the mesos-pipeline package: named relative to the package.
      imagesDir: 'package:test/fixtures/family',
      branches: expected,
    });
  });

  it('plans one release branch for a maintainer, and refuses a name it cannot plan', async () => {
    const one = await runPlan({ repo: repo.dir, branches: ['1.10.x'] });
    expect(one.code).toBe(0);
    expect((JSON.parse(one.stdout) as { branches: { branch: string; sha: string }[] }).branches).toEqual([
      expect.objectContaining({ branch: '1.10.x', sha: repo.sha('1.10.x') }),
    ]);

    const refused = await runPlan({ repo: repo.dir, branches: ['1.7.x-rc'] });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      'error: --branch "1.7.x-rc" is not master or a release branch named N.N.x (1.7.x or later); ' +
        'eligible branches: 1.7.x, 1.9.x, 1.10.x, 1.11.x, master\n',
    );
  });
});
