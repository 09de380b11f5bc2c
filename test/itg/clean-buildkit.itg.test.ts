import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerImageEngine } from '../../pipeline/adapters/docker-engine.js';
import { runBuiltCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';
import { uniqueId } from '../helpers/stack.js';
import { writeTree } from '../helpers/temp-files.js';

// mesos-centos builds through BuildKit, whose build cache the classic-builder prune never sees: on a
// long-lived runner it grew night after night. `clean` must prune BuildKit's layer cache by age and
// keep the compile cache (the `mesos-centos-ccache` cache mount the nightly reuses). Pruning by age
// touches every build on an engine, so this runs on a private stack, never on the shared one where
// other tests' builds count on their cache.
const stateDir = mkdtempSync(path.join(tmpdir(), 'mp-clean-bk-'));
const suffix = Math.floor(Math.random() * 90 + 10);
const stackEnv: Record<string, string> = {
  MP_STATE_DIR: stateDir,
  MP_BRIDGE: `mpbk${suffix}`,
  MP_BRIDGE_CIDR: `172.31.${100 + suffix}.1/24`,
};
const socketPath = path.join(stateDir, 'docker.sock');
const dockerHost = `unix://${socketPath}`;
const docker = new Docker({ socketPath });
const engine = new DockerImageEngine(docker, dockerHost);
const BASE = 'mesos-pipeline/busybox:static';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function script(name: string, args: string[] = []): { code: number | null; stderr: string } {
  const result = spawnSync('bash', [path.join(repoRoot, 'scripts', name), ...args], {
    env: { ...process.env, ...stackEnv },
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { code: result.status, stderr: result.stderr };
}

beforeAll(async () => {
  for (const key of ['MP_REGISTRY_PORT', 'MP_AUTH_REGISTRY_PORT', 'MP_TOKEN_REGISTRY_PORT', 'MP_TOKEN_SERVICE_PORT'])
    stackEnv[key] = String(await freePort());
  const up = script('engine-up.sh');
  if (up.code !== 0) throw new Error(`engine-up.sh failed on the private stack: ${up.stderr}`);
});

afterAll(() => {
  script('engine-down.sh', ['--purge']);
});

interface CacheRecord {
  ID: string;
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
}

/** Layer cache no build and no image uses: what an age-based prune may take. */
const unusedLayers = (records: CacheRecord[]): CacheRecord[] =>
  records.filter((record) => record.Type === 'regular' && !record.InUse && !record.Shared);

async function buildCache(): Promise<CacheRecord[]> {
  const df = (await docker.df()) as { BuildCache?: CacheRecord[] | null };
  return df.BuildCache ?? [];
}

/** Builds a Dockerfile through the pipeline's engine adapter (BuildKit, for the cache mount); returns the image ID. */
async function build(dockerfile: string): Promise<string> {
  return engine.build({ context: writeTree({ Dockerfile: dockerfile }), buildArgs: {}, labels: {} }, () => undefined);
}

const compileCache = (run: string): string =>
  `FROM ${BASE}\nARG CCACHE_DISABLE\nRUN --mount=type=cache,id=mesos-centos-ccache,target=/ccache ${run}\n`;

describe('mesos-pipeline clean and BuildKit build cache', () => {
  it('prunes BuildKit layer cache unused for longer than the age and keeps the compile cache mount', async () => {
    const marker = uniqueId();
    const first = await build(
      `${compileCache(`echo ${marker} > /ccache/object && echo compiled`)}RUN echo ${marker} > /layer && sleep 0.1\n`,
    );
    // What the publish job does afterwards: the image goes (not --keep), the build cache stays.
    await engine.removeImage(first);
    const before = await buildCache();
    const layers = unusedLayers(before);
    expect(layers.length).toBeGreaterThan(0);
    const mounts = before.filter((record) => record.Type === 'exec.cachemount');
    expect(mounts.map((record) => record.Description)).toEqual([expect.stringContaining('cached mount /ccache')]);

    // Used a moment ago: younger than a day, so everything stays.
    const young = await runBuiltCli(['clean', '--cache-max-age', '24h'], { DOCKER_HOST: dockerHost });
    expect(young.code).toBe(0);
    expect(young.stdout).toMatch(/^pruned 0 records of BuildKit build cache unused for 24h, 0\.00 GB reclaimed/m);
    expect((await buildCache()).map((record) => record.ID).sort()).toEqual(before.map((record) => record.ID).sort());

    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const old = await runBuiltCli(['clean', '--cache-max-age', '2s'], { DOCKER_HOST: dockerHost });
    expect(old.code).toBe(0);
    expect(old.stdout).toMatch(
      /^pruned [1-9]\d* records of BuildKit build cache unused for 2s, [\d.]+ GB reclaimed; cache mounts \(the compile cache\) kept$/m,
    );
    expect(old.stderr).toMatch(
      /images take [\d.]+ GB \([\d.]+ GB before cleaning\), BuildKit build cache [\d.]+ GB \([\d.]+ GB before\)/,
    );
    const after = await buildCache();
    // Every old layer went (records an image shares stay with it); the compile cache mount is the
    // same record as before.
    expect(unusedLayers(after)).toEqual([]);
    expect(after.filter((record) => record.Type === 'exec.cachemount').map((record) => record.ID)).toEqual(
      mounts.map((record) => record.ID),
    );

    // And it still holds what the first build compiled into it, while the layer step runs again.
    const second = await build(`${compileCache('cat /ccache/object > /seen')}RUN echo ${marker} > /layer\n`);
    const container = await docker.createContainer({ Image: second, Cmd: ['cat', '/seen'] });
    await container.start();
    await container.wait();
    const logs = (await container.logs({ stdout: true })).toString('utf8');
    await container.remove({ force: true });
    expect(logs).toContain(marker);
    await engine.removeImage(second);
  });

  it('reports a refusing engine as a failure naming it (exit 1)', async () => {
    const result = await runBuiltCli(['clean', '--cache-max-age', '24h'], {
      DOCKER_HOST: `unix://${path.join(stateDir, 'missing.sock')}`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*missing\.sock/m);
  });
});
