import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerImageEngine } from '../../pipeline/adapters/docker-engine.js';
import { dockerOf, readStack, uniqueId } from '../helpers/stack.js';
import { writeTree } from '../helpers/temp-files.js';

// The BuildKit path (Dockerfiles with RUN --mount=type=cache) keeps what the classic path
// guarantees: labels, the daemon's error text, interrupts that leave nothing running, the exact
// base, and no tag of the run left behind.
const stack = readStack();
const docker = dockerOf(stack);
const engine = new DockerImageEngine(docker, stack.dockerHost);
const busybox = stack.baseImage;
const made: string[] = [];

afterAll(async () => {
  for (const id of made.reverse()) await engine.removeImage(id).catch(() => undefined);
});

const cached = (body: string): string =>
  `FROM ${busybox}\nARG CCACHE_DISABLE\nRUN --mount=type=cache,id=itg-${uniqueId()},target=/cache ${body}\n`;

/** Command lines of the processes on this machine (the engine runs here) that contain `marker`. */
function processesWith(marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(marker) && !cmdline.includes('vitest')) found.push(`${pid}: ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function runTagsOf(imageId: string): Promise<string[]> {
  const data = await docker
    .getImage(imageId)
    .inspect()
    .catch(() => undefined);
  return (data?.RepoTags ?? []).filter((tag) => tag.startsWith('mesos-pipeline-run/'));
}

describe('BuildKit builds through the engine API', () => {
  it('labels the image without a step, shows the steps, and keeps a cache mount between builds', async () => {
    const context = writeTree({
      Dockerfile: cached('echo run-$RANDOM >> /cache/runs; cat /cache/runs; cp /cache/runs /runs'),
    });
    const labels = { 'org.opencontainers.image.revision': 'abc', 'tricky.dollar': 'cost $HOME "quoted"' };
    const steps: string[] = [];
    const first = await engine.build({ context, buildArgs: {}, labels }, (line, kind) => {
      if (kind === 'step') steps.push(line);
    });
    made.push(first);
    const image = await engine.inspectImage(first);
    expect(image?.labels).toMatchObject(labels);
    // BuildKit sets labels without a step of their own.
    expect(steps.map((line) => line.replace(/^#\d+ /, ''))).toEqual([
      `[stage-0 1/2] FROM docker.io/${busybox}`,
      expect.stringMatching(/^\[stage-0 2\/2\] RUN --mount=type=cache,id=itg-\S+,target=\/cache echo run-/),
      'exporting to image',
    ]);
    // A second build with another build arg reruns the step: the cache mount still holds the first run.
    const second = await engine.build(
      { context, buildArgs: { CCACHE_DISABLE: '' }, labels: { ...labels, again: '1' } },
      () => undefined,
    );
    made.push(second);
    const runs = await readRuns(second);
    expect(runs.split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('fails with the daemon own message and the failing step output', async () => {
    const context = writeTree({ Dockerfile: cached('echo "make: *** [all] Error 2" && exit 2') });
    const lines: string[] = [];
    await expect(engine.build({ context, buildArgs: {}, labels: {} }, (line) => lines.push(line))).rejects.toThrow(
      /executor failed running \[\/bin\/sh -c echo "make: \*\*\* \[all\] Error 2" && exit 2\]: exit code: 2/,
    );
    expect(lines.some((line) => /^#\d+ make: \*\*\* \[all\] Error 2$/.test(line))).toBe(true);
  });

  it('an interrupt stops the running step: no process of the build is left', async () => {
    const marker = `${4000 + Math.floor(Math.random() * 5000)}.${Date.now() % 1000}`;
    const context = writeTree({ Dockerfile: cached(`sleep ${marker}`) });
    const controller = new AbortController();
    const build = engine.build(
      { context, buildArgs: {}, labels: {} },
      (line) => {
        if (line.includes(`RUN --mount`) && line.includes(marker))
          setTimeout(() => controller.abort(new Error('stop')), 1500);
      },
      controller.signal,
    );
    await expect(build).rejects.toThrow('stop');
    expect(processesWith(`sleep ${marker}`).length).toBeLessThanOrEqual(1);
    const deadline = Date.now() + 5000;
    while (processesWith(`sleep ${marker}`).length > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect(processesWith(`sleep ${marker}`)).toEqual([]);
  });

  it('builds a child on exactly its base (an image ID), and no run tag outlives the base', async () => {
    const baseContext = writeTree({ Dockerfile: `FROM ${busybox}\nRUN echo base-${uniqueId()} > /base\n` });
    const base = await engine.build({ context: baseContext, buildArgs: {}, labels: {} }, () => undefined);
    made.push(base);
    const childContext = writeTree({
      Dockerfile:
        `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nARG CCACHE_DISABLE\nRUN ` +
        `--mount=type=cache,target=/cache cat /base > /child\n`,
    });
    const child = await engine.build(
      { context: childContext, buildArgs: { BASE_IMAGE: base }, labels: {}, baseImageId: base },
      () => undefined,
    );
    made.push(child);
    const [baseImage, childImage] = [await engine.inspectImage(base), await engine.inspectImage(child)];
    expect(childImage?.layers.slice(0, baseImage?.layers.length)).toEqual(baseImage?.layers);
    expect(childImage?.layers.length).toBe((baseImage?.layers.length ?? 0) + 1);
    // The base's only name is the run's tag until it gets one of its own: then the run tag goes,
    // and the base stays.
    expect(await runTagsOf(base)).toHaveLength(1);
    const name = uniqueId();
    await engine.tagImage(base, { host: 'localhost', repository: `itg/${name}`, tag: 'kept' });
    expect(await runTagsOf(base)).toEqual([]);
    expect(await engine.inspectImage(base)).toBeDefined();
    await engine.removeImage(`localhost/itg/${name}:kept`);
  });

  it('refuses a child that is not layered on the base it was given', async () => {
    const baseContext = writeTree({ Dockerfile: `FROM ${busybox}\nRUN echo base-${uniqueId()} > /base\n` });
    const base = await engine.build({ context: baseContext, buildArgs: {}, labels: {} }, () => undefined);
    made.push(base);
    // BASE_IMAGE is passed but the Dockerfile ignores it.
    const childContext = writeTree({
      Dockerfile:
        `ARG BASE_IMAGE\nFROM ${busybox}\nARG CCACHE_DISABLE\nRUN ` +
        `--mount=type=cache,target=/cache echo ${uniqueId()} > /child\n`,
    });
    await expect(
      engine.build(
        { context: childContext, buildArgs: { BASE_IMAGE: base }, labels: {}, baseImageId: base },
        () => undefined,
      ),
    ).rejects.toThrow(/is not layered on its base/);
    // Removing the base removes the run's tag with it.
    await engine.removeImage(base);
    expect(await engine.inspectImage(base)).toBeUndefined();
    expect(await engine.releaseRunTags()).toEqual([]);
  });
});

async function readRuns(imageId: string): Promise<string> {
  const container = await docker.createContainer({ Image: imageId, Cmd: ['cat', '/runs'], Tty: true });
  try {
    await container.start();
    await container.wait();
    return (await container.logs({ stdout: true })).toString('utf8');
  } finally {
    await container.remove({ force: true });
  }
}
