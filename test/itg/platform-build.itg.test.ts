import { afterAll, describe, expect, it } from 'vitest';
import { DockerImageEngine } from '../../pipeline/adapters/docker-engine.js';
import { dockerOf, readStack, uniqueId } from '../helpers/stack.js';
import { writeTree } from '../helpers/temp-files.js';

// The engine's `platform` parameter on both build paths, with arm64 under the emulation that
// engine-up.sh registers: the image is of the platform asked for, or the build fails saying why.
const stack = readStack();
const docker = dockerOf(stack);
const engine = new DockerImageEngine(docker, stack.dockerHost);
const made: string[] = [];

afterAll(async () => {
  for (const id of made.reverse()) await engine.removeImage(id).catch(() => undefined);
});

async function machineOf(imageId: string): Promise<string> {
  const container = await docker.createContainer({ Image: imageId, Cmd: ['cat', '/machine'] });
  try {
    await container.start();
    await container.wait();
    return (await container.logs({ stdout: true })).subarray(8).toString('utf8').trim();
  } finally {
    await container.remove({ force: true });
  }
}

describe('building for a platform', () => {
  it.each([
    ['the classic builder', ''],
    ['BuildKit', `ARG CCACHE_DISABLE\nRUN --mount=type=cache,id=itg-${uniqueId()},target=/cache true\n`],
  ])('%s builds for linux/arm64 on its base of that platform, TARGETARCH set', async (_, extra) => {
    const context = writeTree({
      Dockerfile:
        `ARG TARGETARCH\nFROM mesos-pipeline/busybox:static-\${TARGETARCH}\nARG TARGETARCH\n` +
        `${extra}RUN echo "$(uname -m) $TARGETARCH" > /machine\n`,
    });
    const id = await engine.build({ context, buildArgs: {}, labels: {}, platform: 'linux/arm64' }, () => {});
    made.push(id);
    expect((await engine.inspectImage(id))?.platform).toBe('linux/arm64');
    expect(await machineOf(id)).toBe('aarch64 arm64');
  });

  it('refuses an image the classic builder made of another platform than asked for', async () => {
    // The classic builder takes a local FROM image of another platform and labels the result with it.
    const context = writeTree({ Dockerfile: `FROM ${stack.baseImage}\nRUN true\n` });
    await expect(
      engine.build({ context, buildArgs: {}, labels: {}, platform: 'linux/arm64' }, () => {}),
    ).rejects.toThrow(/the image built for linux\/arm64 is linux\/amd64: its FROM image is not of linux\/arm64/);
  });
});
