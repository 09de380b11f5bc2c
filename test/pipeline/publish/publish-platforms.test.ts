import { describe, expect, it } from 'vitest';
import { publish } from '../../../pipeline/publish/publish.js';
import type { BranchReport } from '../../../pipeline/publish/report.js';
import type { SmokeSpec } from '../../../pipeline/smoke/spec-schema.js';
import {
  fakeRun,
  HOST,
  MULTI_PLATFORM_FAMILY,
  NAMESPACE,
  planOf,
  PUSH,
  REVISION_SPEC,
  sha,
  type FakeRun,
} from '../../helpers/fake-run.js';

// Multi-platform images through publish's ports: each platform built and smoke-tested, one image
// index per tag, nothing moved when one platform fails, indexes reused and rolled back.

const ref = (image: string, tag: string): string => `${HOST}/${NAMESPACE}/${image}:${tag}`;
const repo = (image: string): string => `${NAMESPACE}/${image}`;
const release = { branch: '1.11.x', sha: sha(2), releaseTag: '1.11.0' };
const plan = (date = '2026-11-27') => planOf([release], date, MULTI_PLATFORM_FAMILY);
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

interface Index {
  mediaType: string;
  manifests: { digest: string; size: number; platform: { os: string; architecture: string } }[];
}

function indexOf(run: FakeRun, image: string, digest: string): Index {
  const manifest = run.registry.manifestOf(repo(image), digest);
  expect(manifest?.mediaType).toBe(DOCKER_LIST);
  return JSON.parse(manifest?.bytes.toString('utf8') ?? '{}') as Index;
}

function configOf(
  run: FakeRun,
  image: string,
  digest: string,
): { architecture: string; config: { Labels: Record<string, string> } } {
  const manifest = JSON.parse(run.registry.manifestOf(repo(image), digest)?.bytes.toString('utf8') ?? '{}') as {
    config: { digest: string };
  };
  return JSON.parse(
    (run.registry as unknown as { store: { repository(name: string): { blobs: Map<string, Buffer> } } }).store
      .repository(repo(image))
      .blobs.get(manifest.config.digest)
      ?.toString('utf8') ?? '{}',
  ) as { architecture: string; config: { Labels: Record<string, string> } };
}

const ARCH_SPEC: SmokeSpec = {
  commandTests: [
    ...(REVISION_SPEC.commandTests ?? []),
    { name: 'runs on amd64', command: ['uname', '-m'], expectedOutput: ['^x86_64$'] },
  ],
};

describe('publish, multi-platform images', () => {
  it('builds and tests each platform on its base of that platform, then puts one index under every tag', async () => {
    const run = fakeRun();
    const report = await publish(plan(), run.deps, PUSH, run.shared, 'run-1');
    expect(report.status).toBe('success');

    // Each platform built, the child on the base image of its own platform.
    expect(run.engine.builds.map((build) => [build.context.split('/').pop(), build.platform])).toEqual([
      ['base', 'linux/amd64'],
      ['base', 'linux/arm64'],
      ['app', 'linux/amd64'],
      ['app', 'linux/arm64'],
    ]);
    const [base, app] = report.branches[0]?.images ?? [];
    expect(run.engine.builds[2]?.buildArgs.BASE_IMAGE).toBe(base?.platforms?.[0]?.imageId);
    expect(run.engine.builds[3]?.buildArgs.BASE_IMAGE).toBe(base?.platforms?.[1]?.imageId);
    // The smoke tests ran each platform's image on that platform.
    expect(run.containers.platforms).toEqual(['linux/amd64', 'linux/arm64', 'linux/amd64', 'linux/arm64']);

    const state = run.registry.state();
    // Only the planned tags: no per-platform tag is left behind.
    expect(Object.keys(state).sort()).toEqual(
      ['base', 'app']
        .flatMap((image) => ['1.11.0', '1.11.x', '1.11.x-2026-11-27'].map((tag) => `${repo(image)}:${tag}`))
        .sort(),
    );
    for (const image of [base, app]) {
      const name = image?.name as string;
      expect(image?.tags).toEqual([ref(name, '1.11.x-2026-11-27'), ref(name, '1.11.x'), ref(name, '1.11.0')]);
      for (const tag of ['1.11.x-2026-11-27', '1.11.x', '1.11.0'])
        expect(state[`${repo(name)}:${tag}`]).toBe(image?.digest);
      const index = indexOf(run, name, image?.digest as string);
      expect(index.manifests.map((entry) => entry.platform.architecture)).toEqual(['amd64', 'arm64']);
      expect(index.manifests.map((entry) => entry.digest)).toEqual(image?.platforms?.map((p) => p.digest));
      for (const entry of index.manifests) {
        expect(entry.size).toBe(run.registry.manifestOf(repo(name), entry.digest)?.bytes.length);
        expect(configOf(run, name, entry.digest).architecture).toBe(entry.platform.architecture);
      }
      expect(image?.platforms?.map((p) => [p.platform, p.passed])).toEqual([
        ['linux/amd64', true],
        ['linux/arm64', true],
      ]);
    }
  });

  it('a smoke test failing only on arm64 fails the branch before anything is pushed or put', async () => {
    const run = fakeRun({ specs: { base: REVISION_SPEC, app: ARCH_SPEC } });
    const report = await publish(plan(), run.deps, PUSH, run.shared, 'run-1');
    const branch = report.branches[0] as BranchReport;
    expect(branch.status).toBe('failed');
    expect(branch.failure).toMatchObject({ step: 'smoke', image: 'app', tests: ['linux/arm64: runs on amd64'] });
    expect(branch.failure?.message).toContain('failed on linux/arm64');
    expect(run.engine.pushes).toEqual([]);
    expect(run.registry.calls.filter((call) => call.op === 'putManifest')).toEqual([]);
    expect(run.registry.state()).toEqual({});
    expect(branch.images[1]?.platforms?.map((p) => [p.platform, p.passed])).toEqual([
      ['linux/amd64', true],
      ['linux/arm64', false],
    ]);
    expect(run.containers.live.size).toBe(0);
  });

  it('a build failing only on arm64 fails the branch at build; the report says how far each platform got', async () => {
    const run = fakeRun();
    run.engine.failBuild = (request) =>
      request.platform === 'linux/arm64' && request.context.endsWith('/base') ? 'exec format error' : undefined;
    const report = await publish(plan(), run.deps, PUSH, run.shared, 'run-1');
    const branch = report.branches[0] as BranchReport;
    expect(branch.failure).toMatchObject({ step: 'build', image: 'base' });
    expect(run.engine.builds.map((build) => build.platform)).toEqual(['linux/amd64', 'linux/arm64']);
    expect(branch.images.map((image) => [image.name, image.status])).toEqual([
      ['base', 'failed'],
      ['app', 'skipped'],
    ]);
    expect(branch.images[0]?.imageId).toMatch(/^sha256:/);
    expect(branch.images[0]?.platforms?.map((p) => [p.platform, p.passed, p.imageId !== undefined])).toEqual([
      ['linux/amd64', true, true],
      ['linux/arm64', undefined, false],
    ]);
    expect(run.registry.state()).toEqual({});
    expect(run.engine.imageIds()).toEqual([]);
  });

  it('a warm night re-tags the indexes: no build, no engine push, the same digests', async () => {
    const first = fakeRun();
    const yesterday = await publish(plan('2026-11-26'), first.deps, PUSH, first.shared, 'run-1');
    const run = fakeRun({ registry: first.registry });
    const callsBefore = run.registry.calls.length;
    const report = await publish(plan(), run.deps, PUSH, run.shared, 'run-2');
    expect(report.branches[0]?.status).toBe('unchanged');
    expect(run.engine.builds).toEqual([]);
    expect(run.engine.pushes).toEqual([]);
    expect(run.registry.calls.slice(callsBefore).filter((call) => call.op === 'putBlob')).toEqual([]);
    const state = run.registry.state();
    for (const image of yesterday.branches[0]?.images ?? []) {
      const today = report.branches[0]?.images.find((candidate) => candidate.name === image.name);
      expect(today?.reusedDigest).toBe(image.digest);
      expect(state[`${repo(image.name)}:1.11.x-2026-11-27`]).toBe(image.digest);
    }
  });

  it('a changed child is rebuilt for each platform on the published base, each platform pulled by digest', async () => {
    const first = fakeRun();
    const before = await publish(plan('2026-11-26'), first.deps, PUSH, first.shared, 'run-1');
    const run = fakeRun({ registry: first.registry });
    run.contexts.set('app', 'sha256:the-app-changed');
    const report = await publish(plan(), run.deps, PUSH, run.shared, 'run-2');
    const [base, app] = report.branches[0]?.images ?? [];
    expect([base?.status, app?.status]).toEqual(['unchanged', 'pushed']);
    const published = before.branches[0]?.images[0]?.platforms ?? [];
    expect(run.engine.pulls).toEqual(published.map((p) => `${HOST}/${NAMESPACE}/base@${p.digest}`));
    expect(run.engine.builds.map((build) => [build.platform, build.buildArgs.BASE_IMAGE])).toEqual(
      published.map((p) => [p.platform, p.imageId]),
    );
  });

  it('the index put fails: every tag is put back as it was', async () => {
    const first = fakeRun();
    await publish(plan('2026-11-26'), first.deps, { ...PUSH, force: true }, first.shared, 'run-1');
    const before = first.registry.state();
    const run = fakeRun({ registry: first.registry });
    run.registry.intercept = (call) => {
      if (call.client === 'run' && call.op === 'putManifest' && call.repository === repo('app'))
        throw Object.assign(new Error('503 Service Unavailable'), { status: 503 });
    };
    const report = await publish(plan(), run.deps, { ...PUSH, force: true }, run.shared, 'run-2');
    const branch = report.branches[0] as BranchReport;
    expect(branch.status).toBe('failed');
    expect(branch.failure).toMatchObject({ step: 'retag', image: 'app' });
    run.registry.intercept = undefined;
    expect(run.registry.state()).toEqual(before);
    expect(branch.rollback).toContain(`deleted ${ref('app', '1.11.x-2026-11-27')}`);
    expect(branch.rollback).toContain(`deleted ${ref('base', '1.11.x-2026-11-27')}`);
  });
});
