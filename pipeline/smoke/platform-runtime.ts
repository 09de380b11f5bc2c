import type { ContainerRuntime, ContainerSpec } from '../ports.js';

/**
 * The runtime with every container created for `platform`: the smoke tests of one platform's
 * image run that image (under emulation where the host is of another architecture), and the
 * engine refuses an image of another platform rather than run it.
 */
export function runtimeFor(runtime: ContainerRuntime, platform: string | undefined): ContainerRuntime {
  if (platform === undefined) return runtime;
  const on = (spec: ContainerSpec): ContainerSpec => ({ ...spec, platform });
  return {
    runToCompletion: (spec, timeoutMs, signal) => runtime.runToCompletion(on(spec), timeoutMs, signal),
    runAndCommit: (spec, timeoutMs, signal) => runtime.runAndCommit(on(spec), timeoutMs, signal),
    start: (spec, signal) => runtime.start(on(spec), signal),
    removeImage: (image) => runtime.removeImage(image),
    statPath: (image, path) => runtime.statPath(image, path),
    readFile: (image, path, limit) => runtime.readFile(image, path, limit),
    readArchive: (image, path, options) => runtime.readArchive(image, path, options),
    remove: (id) => runtime.remove(id),
    removeAll: () => runtime.removeAll(),
  };
}
