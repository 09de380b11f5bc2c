import type Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../helpers/cli.js';
import { multiPlatformFamily } from '../helpers/multi-platform-family.js';
import { GitRepo } from '../helpers/git-repo.js';
import { listTags } from '../helpers/registry.js';
import { dockerOf, readStack, uniqueId } from '../helpers/stack.js';
import { readFileSync } from 'node:fs';
import type { RunReport } from '../../pipeline/publish/report.js';

// The fixture family built for linux/amd64 and linux/arm64 (arm64 under the emulation that
// engine-up.sh registers), smoke-tested on both and published as one image index per tag.
const stack = readStack();
const docker = dockerOf(stack);
const DAY = '2026-11-30';
const INDEX_TYPES = [
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
];

const repo = new GitRepo();
repo.commit('1.11.x');
afterAll(() => repo.remove());

async function registryJson(
  repository: string,
  reference: string,
): Promise<{ status: number; type: string; digest: string; body: unknown }> {
  const response = await fetch(`http://${stack.registry}/v2/${repository}/manifests/${reference}`, {
    headers: {
      Accept: [
        ...INDEX_TYPES,
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.oci.image.manifest.v1+json',
      ].join(', '),
    },
  });
  const text = await response.text();
  return {
    status: response.status,
    type: (response.headers.get('content-type') ?? '').split(';')[0] ?? '',
    digest: response.headers.get('docker-content-digest') ?? '',
    body: response.status === 200 ? (JSON.parse(text) as unknown) : undefined,
  };
}

async function pullAndRun(ref: string, platform: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    void docker.pull(ref, { platform }, (error: Error | null, stream?: NodeJS.ReadableStream) => {
      if (error || !stream) return reject(error ?? new Error('no stream'));
      docker.modem.followProgress(stream, (done: Error | null) => (done ? reject(done) : resolve()));
    });
  });
  // `platform` is a query parameter of the create call, which @types/dockerode leaves out.
  const options: Docker.ContainerCreateOptions & { platform: string } = { Image: ref, Cmd: ['uname', '-m'], platform };
  const container = await docker.createContainer(options);
  try {
    await container.start();
    await container.wait();
    const logs = await container.logs({ stdout: true, stderr: false });
    // The multiplexed stream: 8-byte frame headers before each chunk.
    return logs.subarray(8).toString('utf8').trim();
  } finally {
    await container.remove({ force: true });
    await docker
      .getImage(ref)
      .remove({ force: true })
      .catch(() => undefined);
  }
}

const publishArgs = (family: string, namespace: string, report: string): string[] => [
  'publish',
  '--repo',
  repo.dir,
  '--images',
  family,
  '--registry',
  `${stack.registry}/${namespace}`,
  '--date',
  DAY,
  '--branch',
  '1.11.x',
  '--report',
  report,
];
const env = { DOCKER_HOST: stack.dockerHost, MESOS_PIPELINE_RETRY_MIN_MS: '50' };

// The two runs have namespaces and images of their own and mostly wait on the emulated arm64
// containers: they run at once.
describe.concurrent('multi-platform images (linux/amd64 + linux/arm64 under emulation)', () => {
  it('builds and smoke-tests each platform, pushes one index per tag, and each platform pulls and runs', async () => {
    const namespace = `mp-${uniqueId()}`;
    const report = `/tmp/${namespace}.json`;
    const family = multiPlatformFamily((spec) => {
      (spec.commandTests as unknown[]).push({
        name: 'runs on a known architecture',
        command: ['uname', '-m'],
        expectedOutput: ['^(x86_64|aarch64)$'],
      });
    });
    const result = await runBuiltCli(publishArgs(family, namespace, report), env);
    expect(result.stderr).toContain('[1.11.x] published');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/building for linux\/arm64/);

    for (const image of ['fixture-base', 'fixture-app']) {
      const repository = `${namespace}/${image}`;
      // No per-platform tags: only the planned ones.
      expect(await listTags({ host: stack.registry }, repository)).toEqual(['1.11.x', `1.11.x-${DAY}`]);
      const floating = await registryJson(repository, '1.11.x');
      const dated = await registryJson(repository, `1.11.x-${DAY}`);
      expect(INDEX_TYPES).toContain(floating.type);
      expect(dated.digest).toBe(floating.digest);
      const entries = (floating.body as { manifests: { digest: string; platform: { architecture: string } }[] })
        .manifests;
      expect(entries.map((entry) => entry.platform.architecture)).toEqual(['amd64', 'arm64']);
      for (const entry of entries) {
        const platformManifest = await registryJson(repository, entry.digest);
        expect(platformManifest.status).toBe(200);
        const config = (platformManifest.body as { config: { digest: string } }).config.digest;
        const blob = (await (await fetch(`http://${stack.registry}/v2/${repository}/blobs/${config}`)).json()) as {
          architecture: string;
          config: { Labels: Record<string, string> };
        };
        expect(blob.architecture).toBe(entry.platform.architecture);
        expect(blob.config.Labels['org.opencontainers.image.revision']).toBe(repo.sha('1.11.x'));
      }
    }

    const floatingRef = `${stack.registry}/${namespace}/fixture-app:1.11.x`;
    expect(await pullAndRun(floatingRef, 'linux/arm64')).toBe('aarch64');
    expect(await pullAndRun(floatingRef, 'linux/amd64')).toBe('x86_64');

    const written = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
    const app = written.branches[0]?.images[1];
    expect(app?.platforms?.map((p) => [p.platform, p.passed, p.digest?.startsWith('sha256:')])).toEqual([
      ['linux/amd64', true, true],
      ['linux/arm64', true, true],
    ]);

    // A second night with nothing changed re-tags the index: nothing is rebuilt.
    const again = await runBuiltCli(publishArgs(family, namespace, report), env);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/building for/);
    // No engine push either: the index is put again by manifest, no blob moves.
    expect(again.stderr).not.toMatch(/pushed linux\//);
    expect(again.stderr).toContain('[1.11.x] unchanged');
  });

  it('a smoke test failing only on arm64 stops the branch: no tag moves and no index is put', async () => {
    const namespace = `mpfail-${uniqueId()}`;
    const report = `/tmp/${namespace}.json`;
    // Only the test that fails on arm64 (and the metadata test): the fixture's other command test and
    // its service test pass on both platforms in the test above, and here would only add a minute
    // of emulated containers.
    const family = multiPlatformFamily((spec) => {
      spec.commandTests = [{ name: 'runs on amd64', command: ['uname', '-m'], expectedOutput: ['^x86_64$'] }];
      delete spec.serviceTests;
    });
    const result = await runBuiltCli(publishArgs(family, namespace, report), env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/FAILED at smoke \(fixture-app\).*failed on linux\/arm64: "runs on amd64"/);
    for (const image of ['fixture-base', 'fixture-app'])
      expect(await listTags({ host: stack.registry }, `${namespace}/${image}`)).toEqual([]);
    const written = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
    expect(written.branches[0]?.images[1]?.platforms?.map((p) => [p.platform, p.passed])).toEqual([
      ['linux/amd64', true],
      ['linux/arm64', false],
    ]);
  });
});
