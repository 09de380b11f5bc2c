import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { DockerContainers } from '../../../pipeline/adapters/docker-containers.js';
import { EngineError } from '../../../pipeline/errors.js';

/** What dockerode throws for an engine answer: the status code and the daemon's message. */
function engineFailure(status: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${status}) server error - ${message}`), {
    statusCode: status,
    json: { message },
  });
}

/**
 * Just enough of dockerode for DockerContainers: containers that exist by id, an archive read
 * that fails on demand, and a remove that fails while `removeFails` is set.
 */
class StandInDocker {
  removeFails = false;
  statFails = false;
  createFails = false;
  readonly removed: string[] = [];
  private next = 0;

  createContainer(): Promise<unknown> {
    if (this.createFails) return Promise.reject(engineFailure(500, 'no space left on device'));
    const id = `c${++this.next}`.padEnd(64, '0');
    return Promise.resolve({
      id,
      start: () => Promise.resolve(),
      wait: () => Promise.resolve({ StatusCode: 0 }),
      logs: () => Promise.resolve(Buffer.alloc(0)),
      kill: () => Promise.resolve(),
      infoArchive: () =>
        this.statFails
          ? Promise.reject(engineFailure(500, 'archive backend broken'))
          : Promise.resolve({ headers: {}, destroy: () => undefined }),
    });
  }

  getContainer(id: string): { remove: () => Promise<void> } {
    return {
      remove: () => {
        if (this.removeFails) return Promise.reject(engineFailure(500, 'device or resource busy'));
        this.removed.push(id);
        return Promise.resolve();
      },
    };
  }
}

function setUp(): { docker: StandInDocker; containers: DockerContainers; warnings: string[] } {
  const docker = new StandInDocker();
  const warnings: string[] = [];
  const containers = new DockerContainers(docker as unknown as Docker, 'run-1');
  return { docker, containers, warnings };
}

describe('DockerContainers raises engine errors, not smoke-step errors', () => {
  it('a container that cannot be created is an EngineError; the stage names the step', async () => {
    const { docker, containers } = setUp();
    docker.createFails = true;
    const error = await containers.statPath('sha256:abc', '/').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).message).toBe('cannot create a container of sha256:abc: no space left on device');
    expect((error as EngineError).step).toBe('engine');
  });
});
