import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerContainers } from '../../pipeline/adapters/docker-containers.js';
import { DockerImageEngine } from '../../pipeline/adapters/docker-engine.js';
import { LocalHostFacts } from '../../pipeline/adapters/host-facts.js';
import { killLeftoverClis, runBuiltCli } from '../helpers/cli.js';
import { copyFamily } from '../helpers/family-copy.js';
import { GitRepo } from '../helpers/git-repo.js';
import { dockerOf, readStack, uniqueId } from '../helpers/stack.js';
import { writeTree } from '../helpers/temp-files.js';

// publish's preflight end to end, through the built CLI against the real engine: a branch whose
// service tests need cgroup v1, on a host that offers only v2, stops before anything is built.
// This machine is cgroup v1, so the host is a fake tree given as MESOS_PIPELINE_HOST_ROOT; the same
// command on a fake v1 tree builds and tests the branch, so the refusal is the preflight's doing.
const stack = readStack();
const docker = dockerOf(stack);
// The refusal and the run let through have repositories (and so commits) of their own: they run
// at once, and the refusal's "built nothing" never sees the other's images.
const repo = new GitRepo();
const sha = repo.commit('1.11.x');
const refusedRepo = new GitRepo();
const refusedSha = refusedRepo.commit('1.11.x');
afterAll(() => {
  killLeftoverClis();
  repo.remove();
  refusedRepo.remove();
});

// The fixture family, its child image needing cgroup v1 (and nothing else) for 1.11.x.
const family = copyFamily({
  'images.json': (text) => {
    const images = JSON.parse(text) as { images: Record<string, unknown>[] };
    images.images[1] = {
      ...images.images[1],
      host: { cgroupVersions: [1], branches: { master: { cgroupVersions: [1, 2] } } },
    };
    return JSON.stringify(images);
  },
});
const V2_HOST = writeTree({ 'sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory pids\n' });
const V1_HOST = writeTree({ 'sys/fs/cgroup/memory/tasks': '', 'sys/fs/cgroup/cpu,cpuacct/tasks': '' });

async function imagesBuiltFrom(commit: string): Promise<number> {
  const images = await docker.listImages({ filters: { label: [`org.opencontainers.image.revision=${commit}`] } });
  return images.length;
}

const publish = (hostRoot: string, extra: string[] = [], from = repo) =>
  runBuiltCli(
    [
      'publish',
      '--repo',
      from.dir,
      '--images',
      family,
      '--registry',
      `${stack.registry}/preflight-${uniqueId()}`,
      '--branch',
      '1.11.x',
      '--no-push',
      ...extra,
    ],
    { DOCKER_HOST: stack.dockerHost, MESOS_PIPELINE_HOST_ROOT: hostRoot },
  );

describe.concurrent('publish preflight', () => {
  it('refuses a v1-only branch on a cgroup v2 host with exit 1 and one line, having built nothing', async () => {
    const started = Date.now();
    const result = await publish(V2_HOST, [], refusedRepo);
    // Measured, not asserted (timings belong in benchmarks): the refusal needs no build.
    console.log(`preflight refusal took ${Date.now() - started} ms, CLI start included`);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'error: preflight: this host cannot publish the plan, nothing was built: 1.11.x needs cgroup v1 for ' +
        "its service tests and this host's containers get cgroup v2\n",
    );
    expect(await imagesBuiltFrom(refusedSha)).toBe(0);
  });

  it('lets the same branch through on a cgroup v1 host, where it is built and tested', async () => {
    const result = await publish(V1_HOST, ['--keep']);
    try {
      expect(result.stderr).not.toContain('error: preflight');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^tested fixture-base@1\.11\.x sha256:/m);
      expect(result.stdout).toMatch(/^tested fixture-app@1\.11\.x sha256:/m);
      // The query the refusal is checked with does see what a run builds.
      expect(await imagesBuiltFrom(sha)).toBeGreaterThan(0);
    } finally {
      const built = await docker.listImages({ filters: { label: [`org.opencontainers.image.revision=${sha}`] } });
      for (const image of built)
        await docker
          .getImage(image.Id)
          .remove({ force: true })
          .catch(() => undefined);
    }
  });

  it('refuses a host root that is not a folder as bad input', async () => {
    const started = Date.now();
    const result = await publish('/nonexistent/host');
    // For comparison with the preflight refusal: a run that stops before reaching the engine.
    console.log(`bad-input refusal took ${Date.now() - started} ms, CLI start included`);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: MESOS_PIPELINE_HOST_ROOT "/nonexistent/host" is not a folder; it must name a folder holding ' +
        "a host's proc/, sys/ and lib/modules/, or be unset\n",
    );
  });
});

describe('the privileged fact on this very machine', () => {
  it('agrees with what the engine does when asked for a privileged container', async () => {
    const engine = new DockerImageEngine(docker, stack.dockerHost);
    const fact = await new LocalHostFacts({ engine: await engine.info(), hostname: hostname() }).privileged();
    const containers = new DockerContainers(docker, `preflight-${uniqueId()}`);
    const outcome = await containers
      .runToCompletion({ image: stack.baseImage, cmd: ['true'], privileged: true }, 60_000)
      .then(
        (result) => (result.exitCode === 0 ? 'started' : `exited ${result.exitCode}`),
        (error: unknown) => `failed: ${String(error)}`,
      );
    await containers.removeAll();
    expect(fact.status).not.toBe('unknown');
    expect([fact.status, outcome === 'started']).toEqual(fact.status === 'yes' ? ['yes', true] : ['no', false]);
  });
});
