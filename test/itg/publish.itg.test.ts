import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../helpers/cli.js';
import { GitRepo } from '../helpers/git-repo.js';
import { fixtureFamily } from '../helpers/paths.js';
import { quickFamily } from '../helpers/quick-family.js';
import { configOf, listTags, manifestOf } from '../helpers/registry.js';
import { dockerOf, readStack, uniqueId } from '../helpers/stack.js';
import type { RunReport } from '../../pipeline/publish/report.js';

const stack = readStack();
const docker = dockerOf(stack);
const open = { host: stack.registry };
const DAY = '2026-11-27';

const repo = new GitRepo();
repo.commit('1.7.x');
repo.commit('1.10.x');
repo.commit('master');
afterAll(() => repo.remove());

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { DOCKER_HOST: stack.dockerHost, MESOS_PIPELINE_RETRY_MIN_MS: '50', ...extra };
}

async function containersOf(runId: string): Promise<number> {
  return (await docker.listContainers({ all: true, filters: { label: [`io.mesos-pipeline.run=${runId}`] } })).length;
}

function readReport(file: string): RunReport {
  return JSON.parse(readFileSync(file, 'utf8')) as RunReport;
}

// Namespaces, run ids and registries of their own: the two tests run at once.
describe.concurrent('mesos-pipeline publish', () => {
  it(
    'builds, tests and pushes exactly the planned tags; the child is layered on the base built for its ' + 'commit',
    async () => {
      const namespace = `pub-${uniqueId()}`;
      const runId = `run-${uniqueId()}`;
      const reportFile = `/tmp/${runId}.json`;
      const result = await runBuiltCli(
        [
          'publish',
          '--repo',
          repo.dir,
          '--images',
          fixtureFamily,
          '--registry',
          `${stack.registry}/${namespace}`,
          '--date',
          DAY,
          '--branch',
          '1.10.x',
          '--branch',
          'master',
          '--report',
          reportFile,
        ],
        env({ MESOS_PIPELINE_RUN_ID: runId }),
      );
      expect(result.stderr).toContain('[master] published');
      expect(result.code).toBe(0);

      for (const image of ['fixture-base', 'fixture-app']) {
        expect(await listTags(open, `${namespace}/${image}`)).toEqual(
          ['1.10.x', `1.10.x-${DAY}`, 'latest', 'master', `master-${DAY}`].sort(),
        );
      }
      for (const branch of ['1.10.x', 'master']) {
        const base = await manifestOf(open, `${namespace}/fixture-base`, branch);
        const app = await manifestOf(open, `${namespace}/fixture-app`, branch);
        const dated = await manifestOf(open, `${namespace}/fixture-app`, `${branch}-${DAY}`);
        expect(base && app && dated).toBeTruthy();
        // Dated and floating tags are one image, byte for byte.
        expect(dated?.bytes).toBe(app?.bytes);
        const baseConfig = await configOf(open, `${namespace}/fixture-base`, base?.config as string);
        const appConfig = await configOf(open, `${namespace}/fixture-app`, app?.config as string);
        expect(baseConfig.config.Labels?.['org.opencontainers.image.revision']).toBe(repo.sha(branch));
        expect(appConfig.config.Labels?.['org.opencontainers.image.revision']).toBe(repo.sha(branch));
        expect(appConfig.config.Labels?.['org.opencontainers.image.created']).toMatch(
          /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
        );
        // FROM exactly the base built in this run: its image ID, and its layers first.
        expect(appConfig.config.Labels?.['io.mesos-pipeline.base-image']).toBe(base?.config);
        expect(appConfig.rootfs.diff_ids.slice(0, baseConfig.rootfs.diff_ids.length)).toEqual(
          baseConfig.rootfs.diff_ids,
        );
        expect(app?.layers.slice(0, base?.layers.length)).toEqual(base?.layers);
      }

      // `docker run …/mesos-mini` pulls latest: it is master's image. Pulled back, it is what the registry says.
      for (const image of ['fixture-base', 'fixture-app'])
        expect((await manifestOf(open, `${namespace}/${image}`, 'latest'))?.digest).toBe(
          (await manifestOf(open, `${namespace}/${image}`, 'master'))?.digest,
        );
      const pulled = `${stack.registry}/${namespace}/fixture-app:latest`;
      await new Promise<void>((resolve, reject) => {
        void docker.pull(pulled, {}, (error: Error | null, stream?: NodeJS.ReadableStream) => {
          if (error || !stream) return reject(error ?? new Error('no stream'));
          docker.modem.followProgress(stream, (done: Error | null) => (done ? reject(done) : resolve()));
        });
      });
      const inspected = await docker.getImage(pulled).inspect();
      expect(inspected.Config.Labels['org.opencontainers.image.revision']).toBe(repo.sha('master'));
      await docker.getImage(pulled).remove();

      const report = readReport(reportFile);
      expect(report.runId).toBe(runId);
      expect(report.branches.map((b) => [b.branch, b.sha, b.status])).toEqual([
        ['1.10.x', repo.sha('1.10.x'), 'published'],
        ['master', repo.sha('master'), 'published'],
      ]);
      expect(report.branches[1]?.images[1]?.tags).toEqual([
        `${stack.registry}/${namespace}/fixture-app:master-${DAY}`,
        `${stack.registry}/${namespace}/fixture-app:master`,
        `${stack.registry}/${namespace}/fixture-app:latest`,
      ]);
      expect(report.branches[1]?.images[1]?.smoke?.map((t) => [t.kind, t.ok])).toEqual([
        ['metadata', true],
        ['command', true],
        ['service', true],
      ]);
      // Results on stdout: one line per published reference with its digest.
      expect(result.stdout.trim().split('\n')).toHaveLength(10);
      expect(result.stdout).toContain(
        `${stack.registry}/${namespace}/fixture-base:master ${report.branches[1]?.images[0]?.digest}`,
      );
      expect(await containersOf(runId)).toBe(0);
    },
  );

  it('is refused by the auth registry without credentials and accepted with them', async () => {
    const namespace = `auth-${uniqueId()}`;
    // Auth is the subject: smoke specs that start no container (the test above runs the whole fixture's).
    const args = [
      'publish',
      '--repo',
      repo.dir,
      '--images',
      quickFamily(),
      '--registry',
      `${stack.authRegistry}/${namespace}`,
      '--date',
      DAY,
      '--branch',
      '1.7.x',
    ];
    const refused = await runBuiltCli(args, env({ HOME: '/nonexistent' }));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `\\[1\\.7\\.x\\] error: FAILED at registry after .*manifest ` +
          `${stack.authRegistry}/${namespace}/fixture-base:1\\.7\\.x-${DAY}: 401 Unauthorized.*credentials are needed`,
      ),
    );
    const auth = { host: stack.authRegistry, username: stack.username, password: stack.password };
    expect(await listTags(auth, `${namespace}/fixture-base`)).toEqual([]);

    const accepted = await runBuiltCli(
      args,
      env({ REGISTRY_USERNAME: stack.username, REGISTRY_PASSWORD: stack.password }),
    );
    expect(accepted.code).toBe(0);
    expect(await listTags(auth, `${namespace}/fixture-app`)).toEqual(['1.7.x', `1.7.x-${DAY}`]);
    expect(`${accepted.stdout}${accepted.stderr}`).not.toContain(stack.password);
  });
});
