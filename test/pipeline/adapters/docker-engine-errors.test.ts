import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../pipeline/adapters/clock.js';
import { DockerImageEngine } from '../../../pipeline/adapters/docker-engine.js';
import { EngineError } from '../../../pipeline/errors.js';
import { writeTree } from '../../helpers/temp-files.js';

// The engine adapter does not know which stage of the run it serves: it raises EngineErrors, and
// the stage that called it names the step (branch-build.ts: `build`, local-images.ts: `pull`).

const engineFailure = (status: number, message: string): Error =>
  Object.assign(new Error(`(HTTP code ${status}) server error - ${message}`), {
    statusCode: status,
    json: { message },
  });

const lines = (...messages: object[]): NodeJS.ReadableStream =>
  Readable.from(messages.map((message) => `${JSON.stringify(message)}\n`));

const LAYER = `sha256:${'1'.repeat(64)}`;
const OTHER = `sha256:${'2'.repeat(64)}`;

/** Just enough of dockerode for a classic build, a pull and an image inspect. */
function standIn(parts: {
  buildImage?: () => Promise<NodeJS.ReadableStream>;
  pull?: () => Promise<NodeJS.ReadableStream>;
  images?: Record<string, { layers: string[]; arch?: string }>;
}): Docker {
  return {
    buildImage: parts.buildImage,
    pull: parts.pull,
    modem: { followProgress: undefined },
    getImage: (id: string) => ({
      inspect: () => {
        const image = parts.images?.[id];
        if (!image) return Promise.reject(engineFailure(404, `no such image: ${id}`));
        return Promise.resolve({
          Id: id,
          RootFS: { Layers: image.layers },
          Config: {},
          Os: 'linux',
          Architecture: image.arch ?? 'amd64',
        });
      },
    }),
  } as unknown as Docker;
}

const context = writeTree({ Dockerfile: 'FROM scratch\nCOPY Dockerfile /\n' });
const request = { context, buildArgs: {}, labels: {} };
const engineOf = (docker: Docker): DockerImageEngine =>
  new DockerImageEngine(docker, 'unix:///stand-in.sock', { clock: systemClock });

async function failure(run: () => Promise<unknown>): Promise<Error> {
  return run().then(
    () => new Error('no error'),
    (error: unknown) => error as Error,
  );
}

describe('DockerImageEngine raises its own errors', () => {
  it.each([
    [
      'the daemon refuses the build',
      standIn({ buildImage: () => Promise.reject(engineFailure(500, 'no space left on device')) }),
      /no space left on device/,
    ],
    [
      'a step fails (an error line)',
      standIn({
        buildImage: () =>
          Promise.resolve(
            lines({ stream: 'Step 1/2 : FROM scratch\n' }, { error: 'boom', errorDetail: { message: 'boom' } }),
          ),
      }),
      /^boom$/,
    ],
    [
      'no image ID is reported',
      standIn({ buildImage: () => Promise.resolve(lines({ stream: 'Step 1/2 : FROM scratch\n' })) }),
      /without reporting an image ID/,
    ],
  ])('a build where %s: an EngineError, not a step of its own', async (_what, docker, message) => {
    const error = await failure(() => engineOf(docker).build(request, () => undefined));
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).step).toBe('engine');
    expect(error.message).toMatch(message);
  });

  it('a build not layered on its base: an EngineError', async () => {
    const docker = standIn({
      buildImage: () => Promise.resolve(lines({ aux: { ID: 'sha256:child' } })),
      images: { 'sha256:child': { layers: [OTHER, LAYER] }, 'sha256:base': { layers: [LAYER] } },
    });
    const error = await failure(() =>
      engineOf(docker).build({ ...request, baseImageId: 'sha256:base' }, () => undefined),
    );
    expect(error).toBeInstanceOf(EngineError);
    expect(error.message).toMatch(/is not layered on its base sha256:base/);
  });

  it('a build of the wrong platform: an EngineError', async () => {
    const docker = standIn({
      buildImage: () => Promise.resolve(lines({ aux: { ID: 'sha256:img' } })),
      images: { 'sha256:img': { layers: [LAYER], arch: 'amd64' } },
    });
    const error = await failure(() => engineOf(docker).build({ ...request, platform: 'linux/arm64' }, () => undefined));
    expect(error).toBeInstanceOf(EngineError);
    expect(error.message).toMatch(/the image built for linux\/arm64 is linux\/amd64/);
  });

  it('a pull that leaves no image: an EngineError', async () => {
    const docker = standIn({ pull: () => Promise.resolve(lines({ status: 'Pull complete' })) });
    const error = await failure(() => engineOf(docker).pull('r.test/x:1', undefined, () => undefined));
    expect(error).toBeInstanceOf(EngineError);
    expect(error.message).toMatch(/the engine reported success but has no such image/);
  });
});
