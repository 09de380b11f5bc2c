import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { CACHE_LABEL, RUN_LABEL } from '../../pipeline/publish/inputs.js';
import { runBuiltCli } from '../helpers/cli.js';
import { GitRepo } from '../helpers/git-repo.js';
import { quickFamily } from '../helpers/quick-family.js';
import { dockerOf, readStack, uniqueId } from '../helpers/stack.js';

// A long-lived runner must not fill its disk: after each publish job, `clean` removes what that job
// made and prunes the pipeline's build cache older than an age, and nothing else on the engine.
const stack = readStack();
const docker = dockerOf(stack);
const repo = new GitRepo();
repo.commit('1.10.x');
const loaded: string[] = [];
afterAll(async () => {
  repo.remove();
  for (const ref of loaded)
    await docker
      .getImage(ref)
      .remove({ force: true })
      .catch(() => undefined);
});

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** Loads an image created long ago (the engine keeps the config's date), tagged `ref`. */
async function loadOldImage(ref: string, labels: Record<string, string>): Promise<void> {
  const layer = await new Promise<Buffer>((resolve, reject) => {
    const archive = pack();
    const chunks: Buffer[] = [];
    archive.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    archive.on('end', () => resolve(Buffer.concat(chunks)));
    archive.on('error', reject);
    archive.entry({ name: 'marker.txt' }, ref);
    archive.finalize();
  });
  const created = '2020-01-01T00:00:00Z';
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created,
    config: { Labels: labels, Cmd: ['/marker.txt'] },
    rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layer)}`] },
    history: [{ created, created_by: 'clean.itg.test.ts' }],
  });
  const configName = `${sha256(config)}.json`;
  const image = await new Promise<Buffer>((resolve, reject) => {
    const archive = pack();
    const chunks: Buffer[] = [];
    archive.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    archive.on('end', () => resolve(Buffer.concat(chunks)));
    archive.on('error', reject);
    archive.entry({ name: 'layer.tar' }, layer);
    archive.entry({ name: configName }, config);
    archive.entry(
      { name: 'manifest.json' },
      JSON.stringify([{ Config: configName, RepoTags: [ref], Layers: ['layer.tar'] }]),
    );
    archive.finalize();
  });
  const stream = await docker.loadImage(Readable.from([image]), { quiet: true });
  await new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve(undefined))),
  );
  loaded.push(ref);
}

const exists = (ref: string): Promise<boolean> =>
  docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false,
    );

describe.concurrent('mesos-pipeline clean', () => {
  it("removes the run's containers and images, then only pipeline cache older than the age", async () => {
    const runId = `clean-${uniqueId()}`;
    const built = await runBuiltCli(
      [
        'publish',
        '--no-push',
        '--keep',
        '--repo',
        repo.dir,
        '--branch',
        '1.10.x',
        '--images',
        // What the job built is the subject, not its smoke run: smoke specs that start no container.
        quickFamily(),
        '--registry',
        `${stack.registry}/clean-${uniqueId()}`,
      ],
      { DOCKER_HOST: stack.dockerHost, MESOS_PIPELINE_RUN_ID: runId },
    );
    expect(built.code).toBe(0);
    const runImages = await docker.listImages({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } });
    // Both images the job built (and the child's steps, which inherit the base's labels).
    expect(runImages.length).toBeGreaterThanOrEqual(2);
    expect(runImages.every((image) => image.Labels?.[CACHE_LABEL] === '1')).toBe(true);
    // The build cache: every step of every stage carries the cache label, not the run's. This job's
    // own (the parents of what it built): other files' runs and clean-ups on the shared engine come
    // and go with theirs while this test runs.
    const parents = new Set<string>();
    for (const image of runImages) {
      let parent = (await docker.getImage(image.Id).inspect()).Parent;
      while (parent && !parents.has(parent)) {
        parents.add(parent);
        parent = (await docker.getImage(parent).inspect()).Parent;
      }
    }
    const cache = (await docker.listImages({ all: true, filters: { label: [CACHE_LABEL] } })).filter(
      (image) =>
        parents.has(image.Id) &&
        image.Labels?.[RUN_LABEL] === undefined &&
        image.Created * 1000 > Date.now() - 3_600_000,
    );
    expect(cache.length).toBeGreaterThan(0);

    // A smoke container the job left behind (a job killed at its timeout).
    const left = await docker.createContainer({
      Image: stack.baseImage,
      Cmd: ['sleep', '300'],
      Labels: { [RUN_LABEL]: runId },
    });
    await left.start();
    const oldCache = `clean-old-cache:${uniqueId()}`;
    const oldOther = `clean-old-other:${uniqueId()}`;
    await loadOldImage(oldCache, { [CACHE_LABEL]: '1' });
    await loadOldImage(oldOther, { 'org.example.unrelated': '1' });

    const first = await runBuiltCli(['clean', '--run', runId, '--cache-max-age', '3650d'], {
      DOCKER_HOST: stack.dockerHost,
    });
    expect(first.stderr).toMatch(/images take [\d.]+ GB \([\d.]+ GB before cleaning\)/);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`removed container ${left.id.slice(0, 12)}`);
    for (const image of runImages) expect(first.stdout).toContain(`removed image ${image.Id.slice(0, 19)}`);
    expect(await docker.listImages({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } })).toEqual([]);
    expect(await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } })).toEqual([]);
    // Made in 2020, younger than ten years: the old cache stays.
    expect(await exists(oldCache)).toBe(true);

    const second = await runBuiltCli(['clean', '--cache-max-age', '24h'], { DOCKER_HOST: stack.dockerHost });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^pruned [1-9]\d* images of build cache created before \S+ \(older than 24h\)/m);
    expect(await exists(oldCache)).toBe(false);
    // Not the pipeline's: never pruned. Today's cache: kept for tomorrow's builds.
    expect(await exists(oldOther)).toBe(true);
    for (const image of cache) expect(await exists(image.Id)).toBe(true);
  });

  it('refuses a bad age with exit 2 before touching the engine', async () => {
    const result = await runBuiltCli(['clean', '--cache-max-age', '3 days'], { DOCKER_HOST: 'unix:///nonexistent' });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error: --cache-max-age "3 days" is not a duration; use whole numbers with d, h, m or s, for ' +
        'example 36h, 2d or 1d12h\n',
    );
  });
});
