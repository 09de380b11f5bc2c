import { rmSync } from 'node:fs';
import { DockerContainers } from '../../pipeline/adapters/docker-containers.js';
import { DockerImageEngine } from '../../pipeline/adapters/docker-engine.js';
import type { ContainerSpec, ExecResult } from '../../pipeline/ports.js';
import { writeTree } from '../helpers/temp-files.js';
import { dockerOf, type Stack, uniqueId } from '../helpers/stack.js';

// For integration tests that run the production shell scripts in the offline busybox image: the
// scripts are POSIX sh so that they behave the same there and on CentOS.

/** What `docker run --privileged` grants, spelt the way this machine's engine accepts it. */
export const PRIVILEGES = {
  capAdd: ['ALL'],
  capDrop: ['SYS_RESOURCE'],
  securityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
} satisfies Partial<ContainerSpec>;

export interface ScriptImage {
  id: string;
  run(spec: Omit<ContainerSpec, 'image'>, timeoutMs?: number): Promise<ExecResult>;
  remove(): Promise<void>;
}

/**
 * Builds busybox plus `files` (path in the image -> content), each executable, labelled with a
 * unique test id so that removing it never touches an image someone else built.
 */
export async function buildScriptImage(stack: Stack, files: Record<string, string>): Promise<ScriptImage> {
  const docker = dockerOf(stack);
  const id = uniqueId();
  const names = Object.keys(files);
  const context = writeTree({
    ...Object.fromEntries(names.map((name, index) => [`file-${index}`, files[name] ?? ''])),
    Dockerfile: [
      `FROM ${stack.baseImage}`,
      ...names.map((name, index) => `COPY file-${index} ${name}`),
      `RUN chmod 0755 ${names.join(' ')}`,
    ].join('\n'),
  });
  let imageId: string;
  try {
    imageId = await new DockerImageEngine(docker, stack.dockerHost).build(
      { context, buildArgs: {}, labels: { 'io.mesos-pipeline.test': id } },
      () => undefined,
    );
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  const containers = new DockerContainers(docker, `test-${id}`);
  return {
    id: imageId,
    run: async (spec, timeoutMs = 60_000) => {
      const result = await containers.runToCompletion({ ...spec, image: imageId }, timeoutMs);
      if (result.timedOut)
        throw new Error(`the container did not finish within ${timeoutMs} ms: ${result.stdout}${result.stderr}`);
      return result;
    },
    remove: async () => {
      await docker
        .getImage(imageId)
        .remove({ force: true })
        .catch(() => undefined);
    },
  };
}
