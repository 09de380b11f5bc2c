import type Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { EngineError, errorMessage } from '../errors.js';
import { BUILDKIT_IMAGE_ID, BUILDKIT_TRACE, BuildKitProgress, type ProgressLine } from './buildkit-status.js';
import { messageError, readEngineStream, type EngineMessage } from './json-stream.js';

export interface BuildKitRequest {
  /** The build context as a tar stream; it holds the Dockerfile. */
  context: Readable;
  /** Path of the Dockerfile inside the context. */
  dockerfile: string;
  buildArgs: Record<string, string>;
  /** Labels set through the API, when the Dockerfile cannot carry them. */
  labels?: Record<string, string> | undefined;
  /** Run every step again (`--no-cache`); cache mounts keep their content. */
  noCache?: boolean | undefined;
  /** The target platform (`linux/arm64`); BuildKit sets TARGETARCH and friends from it. */
  platform?: string | undefined;
}

/**
 * The engine's own BuildKit (`POST /build?version=2`), with the context in the request body and no
 * session: nothing is read from this machine beyond that body, and the build stops when the request
 * goes. Returns the image ID. Progress comes as `moby.buildkit.trace` messages, decoded line by
 * line; a vertex error or an `error` line fails the build with the daemon's own message.
 */
export async function buildWithBuildKit(
  docker: Docker,
  request: BuildKitRequest,
  onLine: (line: ProgressLine) => void,
  signal: AbortSignal | undefined,
): Promise<string> {
  signal?.throwIfAborted();
  // A build ID lets an interrupted run cancel the build on the engine, not only drop the request.
  const buildId = randomUUID();
  const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
    docker.modem.dial(
      {
        path: '/build?',
        method: 'POST',
        options: {
          version: '2',
          dockerfile: request.dockerfile,
          buildargs: request.buildArgs,
          ...(request.labels ? { labels: request.labels } : {}),
          buildid: buildId,
          ...(request.noCache ? { nocache: true } : {}),
          ...(request.platform ? { platform: request.platform } : {}),
          rm: true,
          forcerm: true,
        },
        file: request.context,
        isStream: true,
        abortSignal: signal,
        headers: { 'Content-Type': 'application/x-tar' },
        statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
      },
      (error: unknown, data: unknown) => {
        if (error) reject(error instanceof Error ? error : new Error(errorMessage(error)));
        else resolve(data as NodeJS.ReadableStream);
      },
    );
  }).catch((error: unknown) => {
    request.context.destroy();
    throw error;
  });
  const progress = new BuildKitProgress();
  let imageId: string | undefined;
  const failures: string[] = [];
  const onMessage = (message: EngineMessage & { id?: string }): void => {
    const aux: unknown = message.aux;
    if (message.id === BUILDKIT_TRACE && typeof aux === 'string') {
      let lines: ProgressLine[];
      try {
        lines = progress.push(aux);
      } catch (error) {
        // A message that is not a StatusResponse is reported, not guessed at.
        lines = [{ text: `(unreadable BuildKit progress: ${errorMessage(error)})`, step: false }];
      }
      lines.forEach(onLine);
      return;
    }
    if (message.id === BUILDKIT_IMAGE_ID && message.aux?.ID) imageId = message.aux.ID;
    const failure = messageError(message);
    if (failure) failures.push(failure);
    else if (message.stream) onLine({ text: message.stream.trimEnd(), step: false });
  };
  try {
    await readEngineStream(stream, onMessage, signal);
  } catch (error) {
    if (signal?.aborted) await cancelBuild(docker, buildId);
    throw error;
  }
  progress.flush().forEach(onLine);
  // The daemon's error line is the build's verdict; a vertex error without one still fails it.
  const failure = failures[0] ?? progress.errors()[0];
  if (failure) throw new EngineError(failure);
  if (!imageId) throw new EngineError('the engine finished the build without reporting an image ID');
  return imageId;
}

/** Asks the engine to stop a build whose request was dropped; best effort, the drop stops it too. */
async function cancelBuild(docker: Docker, buildId: string): Promise<void> {
  await new Promise<void>((resolve) => {
    docker.modem.dial(
      {
        path: '/build/cancel?',
        method: 'POST',
        options: { id: buildId },
        statusCodes: { 200: true, 204: true, 404: true, 500: 'server error' },
      },
      () => resolve(),
    );
  });
}
