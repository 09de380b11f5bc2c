import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { DockerContainers } from '../../../pipeline/adapters/docker-containers.js';
import { EngineError } from '../../../pipeline/errors.js';
import type { Clock } from '../../../pipeline/ports.js';

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
  /** When set, containers never exit on their own. */
  hangs = false;
  readonly killed: string[] = [];
  readonly removed: string[] = [];
  private next = 0;

  createContainer(): Promise<unknown> {
    if (this.createFails) return Promise.reject(engineFailure(500, 'no space left on device'));
    const id = `c${++this.next}`.padEnd(64, '0');
    return Promise.resolve({
      id,
      start: () => Promise.resolve(),
      wait: () => (this.hangs ? new Promise(() => undefined) : Promise.resolve({ StatusCode: 0 })),
      logs: () => Promise.resolve(Buffer.alloc(0)),
      kill: () => (this.killed.push(id), Promise.resolve()),
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
  const containers = new DockerContainers(docker as unknown as Docker, 'run-1', {
    log: {
      warn: (message) => warnings.push(message),
    },
  });
  return { docker, containers, warnings };
}

describe('DockerContainers cleanup never hides the first error', () => {
  it('a failed stat is reported, not the failed remove after it; the remove failure is logged', async () => {
    const { docker, containers, warnings } = setUp();
    docker.statFails = true;
    docker.removeFails = true;
    await expect(containers.statPath('sha256:abc', '/etc/os-release')).rejects.toThrow(
      /^cannot stat \/etc\/os-release in sha256:abc: archive backend broken$/,
    );
    expect(warnings).toEqual([
      expect.stringMatching(/^cannot remove container c10000000000: device or resource busy$/),
    ]);
  });

  it('a result is returned although the container could not be removed; removeAll tries it again', async () => {
    const { docker, containers, warnings } = setUp();
    docker.removeFails = true;
    await expect(containers.statPath('sha256:abc', '/missing')).resolves.toBeUndefined();
    const run = await containers.runToCompletion({ image: 'sha256:abc' }, 5000);
    expect(run).toMatchObject({ exitCode: 0, timedOut: false });
    expect(warnings).toHaveLength(2);
    docker.removeFails = false;
    await containers.removeAll();
    expect(docker.removed.sort()).toEqual([`c1`.padEnd(64, '0'), `c2`.padEnd(64, '0')]);
  });

  it('removeAll still reports what it could not remove at the end of the run', async () => {
    const { docker, containers } = setUp();
    docker.removeFails = true;
    await containers.runToCompletion({ image: 'sha256:abc' }, 5000);
    await expect(containers.removeAll()).rejects.toThrow(/cannot remove container c2?1?0+: device or resource busy/);
  });
});

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

describe('DockerContainers keeps time on the clock it is given', () => {
  it('a container that does not exit within its time is killed when the clock says so', async () => {
    const docker = new StandInDocker();
    docker.hangs = true;
    const asked: number[] = [];
    // A clock on which every timer is due at once: the wall clock would take an hour.
    const clock: Clock = {
      now: () => new Date(0),
      sleep: () => Promise.resolve(),
      after: (ms, fire) => {
        asked.push(ms);
        queueMicrotask(fire);
        return () => undefined;
      },
    };
    const containers = new DockerContainers(docker as unknown as Docker, 'run-1', { clock });
    const result = await containers.runToCompletion({ image: 'sha256:abc' }, 3_600_000);
    expect(result).toMatchObject({ timedOut: true, exitCode: -1 });
    expect(asked).toEqual([3_600_000]);
    expect(docker.killed).toHaveLength(1);
    expect(docker.removed).toHaveLength(1);
  });
});
