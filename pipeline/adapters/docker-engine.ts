import type Docker from 'dockerode';
import { EngineError, errorMessage, RegistryError, statusOf } from '../errors.js';
import type {
  BuildRequest,
  Clock,
  Credentials,
  EngineInfo,
  ImageDetails,
  ImageEngine,
  OutputListener,
} from '../ports.js';
import { isTransientText } from '../retry.js';
import { formatImageRef, type ImageRef } from '../../tags/index.js';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildFeatures, COMPILE_CACHE_OFF_ARG } from '../family/build-features.js';
import { contextFilter, LABELLED_DOCKERFILE, labelledDockerfile, packContext } from './build-context.js';
import { buildWithBuildKit } from './buildkit-build.js';
import { systemClock } from './clock.js';
import { messageError, readEngineStream, type EngineMessage } from './json-stream.js';

interface DockerodeError extends Error {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | string | null;
  reason?: string;
}

/** The daemon's own words for a failed API call, when it gave any. */
export function engineErrorText(error: unknown): string {
  const e = error as DockerodeError;
  if (e && typeof e.json === 'object' && e.json?.message) return e.json.message.trim();
  if (e && typeof e.json === 'string' && e.json.trim() !== '') return e.json.trim();
  return errorMessage(error)
    .replace(/^\(HTTP code \d+\)\s*[\w ]+-\s*/, '')
    .trim();
}

function isUnreachable(error: unknown): boolean {
  const code = (error as DockerodeError)?.code;
  return (
    code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH'
  );
}

/** Engine output worth showing: build `stream` text and push/pull `status` lines. */
function outputLines(message: EngineMessage): string[] {
  if (message.stream)
    return message.stream
      .split('\n')
      .map((line) => line.trimEnd())
      .filter((line) => line !== '');
  if (message.status && !message.progress) return [message.id ? `${message.id}: ${message.status}` : message.status];
  return [];
}

function authConfig(credentials: Credentials | undefined, host: string): Record<string, string> | undefined {
  if (!credentials) return undefined;
  return { username: credentials.username, password: credentials.password, serveraddress: host };
}

export interface DockerImageEngineOptions {
  /**
   * A push or pull whose engine stream stays silent this long is given up (and may be retried):
   * the engine itself never times out a registry that stopped answering. Default two minutes.
   */
  stallTimeoutMs?: number;
  /** Keeps the stall timeout and the waits (the system clock unless given). */
  clock?: Clock;
}

/** ImageEngine on dockerode. All engine calls for images live here. */
export class DockerImageEngine implements ImageEngine {
  private readonly docker: Docker;
  private readonly address: string;
  private readonly stallTimeoutMs: number;
  private readonly clock: Clock;
  /** Names this run's tags (`mesos-pipeline-run/<scope>:…`), so runs never share one. */
  private readonly runScope = randomBytes(6).toString('hex');
  /** Base image ID -> the tag of this run a BuildKit build used for it. */
  private readonly runTags = new Map<string, string>();

  constructor(docker: Docker, address: string, options: DockerImageEngineOptions = {}) {
    this.docker = docker;
    this.address = address;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 120_000;
    this.clock = options.clock ?? systemClock;
  }

  private unreachable(error: unknown): EngineError {
    return new EngineError(
      `cannot reach the Docker engine at ${this.address}: ${errorMessage(error)}; start one (scripts/engine-up.sh) ` +
        `or set DOCKER_HOST`,
      { cause: error },
    );
  }

  async info(signal?: AbortSignal): Promise<EngineInfo> {
    try {
      signal?.throwIfAborted();
      const info = (await this.docker.info()) as {
        ServerVersion?: string;
        CgroupVersion?: string;
        CgroupDriver?: string;
        Name?: string;
        SecurityOptions?: string[];
      };
      return {
        address: this.address,
        serverVersion: info.ServerVersion ?? 'unknown',
        cgroupVersion: info.CgroupVersion ?? '1',
        cgroupDriver: info.CgroupDriver ?? 'cgroupfs',
        name: info.Name ?? '',
        securityOptions: info.SecurityOptions ?? [],
      };
    } catch (error) {
      throw this.unreachable(error);
    }
  }

  async build(request: BuildRequest, onOutput: OutputListener, signal?: AbortSignal): Promise<string> {
    const original = await readFile(path.join(request.context, 'Dockerfile'), 'utf8');
    const id = buildFeatures(original).buildKit
      ? await this.buildKitBuild(request, original, onOutput, signal)
      : await this.classicBuild(request, original, onOutput, signal);
    if (request.baseImageId) await this.checkLayeredOn(id, request.baseImageId);
    if (request.platform) await this.checkPlatform(id, request.platform);
    return id;
  }

  /**
   * The classic builder given a platform still takes a local FROM image of another platform, runs
   * its steps natively and labels the result with that other platform: an "arm64" image that is
   * amd64. Checked here, so such an image never reaches its smoke tests or the registry.
   */
  private async checkPlatform(imageId: string, platform: string): Promise<void> {
    const image = await this.inspectImage(imageId);
    if (!image) throw new EngineError(`cannot check the platform of ${imageId}: it is gone from the engine`);
    if (image.platform !== undefined && samePlatform(image.platform, platform)) return;
    throw new EngineError(
      `the image built for ${platform} is ${image.platform ?? 'of an unknown platform'}: its FROM image is not of ` +
        `${platform} (name a base of that platform, e.g. FROM image-\${TARGETARCH})`,
    );
  }

  /**
   * Dockerfiles that use what only BuildKit builds (`RUN --mount=type=cache` for the compile
   * cache) go to the engine's BuildKit. BuildKit will not build `FROM <image ID>` (it tries to
   * pull `docker.io/library/sha256`), so a base named by ID gets a tag of this run for the build.
   */
  private async buildKitBuild(
    request: BuildRequest,
    original: string,
    onOutput: OutputListener,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const features = buildFeatures(original);
    // The engine's BuildKit (seen with dockerd 20.10) sets TARGETPLATFORM from the platform but
    // leaves TARGETARCH empty: given here as for the classic builder.
    const buildArgs = { ...(request.platform ? platformArgs(request.platform) : {}), ...request.buildArgs };
    // ccache reads CCACHE_DISABLE: it calls the compiler and neither reads nor writes the cache.
    if (request.compileCache === false && features.cacheMounts.length > 0) buildArgs[COMPILE_CACHE_OFF_ARG] = '1';
    if (request.baseImageId) {
      const tag = await this.runTagFor(request.baseImageId);
      for (const [name, value] of Object.entries(buildArgs)) if (value === request.baseImageId) buildArgs[name] = tag;
    }
    // One LABEL instruction, as for the classic builder; with a changed escape character, the API's
    // labels (BuildKit sets those on the image without a step).
    const { context, dockerfile } = await packed(request, original);
    try {
      return await buildWithBuildKit(
        this.docker,
        dockerfile === undefined
          ? {
              context,
              dockerfile: 'Dockerfile',
              buildArgs,
              labels: request.labels,
              noCache: request.noCache,
              platform: request.platform,
            }
          : {
              context,
              dockerfile: LABELLED_DOCKERFILE,
              buildArgs,
              noCache: request.noCache,
              platform: request.platform,
            },
        (line) => onOutput(line.text, line.step ? 'step' : undefined),
        signal,
      );
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (error instanceof EngineError) throw error;
      if (isUnreachable(error)) throw this.unreachable(error);
      throw new EngineError(engineErrorText(error), { cause: error });
    }
  }

  private async classicBuild(
    request: BuildRequest,
    original: string,
    onOutput: OutputListener,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const { context, dockerfile } = await packed(request, original);
    const labelling = dockerfile === undefined ? { labels: request.labels } : { dockerfile: LABELLED_DOCKERFILE };
    let stream: NodeJS.ReadableStream;
    try {
      // rm/forcerm: intermediate containers go away even when a step fails; the layers they
      // produced stay as the build cache.
      stream = await this.docker.buildImage(context, {
        // The classic builder sets no TARGETARCH and friends (BuildKit does): given here, so one
        // Dockerfile can pick its per-architecture base and downloads under both builders.
        buildargs: request.platform ? { ...platformArgs(request.platform), ...request.buildArgs } : request.buildArgs,
        ...(request.platform ? { platform: request.platform } : {}),
        ...labelling,
        rm: true,
        forcerm: true,
        ...(request.noCache ? { nocache: true } : {}),
        abortSignal: signal,
      });
    } catch (error) {
      context.destroy();
      if (isUnreachable(error)) throw this.unreachable(error);
      throw new EngineError(engineErrorText(error), { cause: error });
    }
    // The container of the step running now: an interrupted build must not leave it behind.
    let stepContainer: string | undefined;
    let messages: EngineMessage[];
    try {
      messages = await readEngineStream(
        stream,
        (message) => {
          const text = message.stream ?? '';
          const running = /Running in ([0-9a-f]{12,64})/.exec(text)?.[1];
          if (running) stepContainer = running;
          else if (stepContainer && text.includes(`Removing intermediate container ${stepContainer}`))
            stepContainer = undefined;
          for (const line of outputLines(message)) onOutput(line, /^Step \d+\/\d+ :/.test(line) ? 'step' : undefined);
        },
        signal,
      );
    } catch (error) {
      if (stepContainer) await this.removeBuildContainer(stepContainer);
      throw error;
    }
    const failure = messages.map(messageError).find((text) => text !== undefined);
    if (failure) throw new EngineError(failure);
    const id = messages
      .map((message) => message.aux?.ID)
      .filter((value): value is string => value !== undefined)
      .pop();
    if (!id) throw new EngineError('the engine finished the build without reporting an image ID');
    return id;
  }

  /** The exact-base guarantee: the image's layers start with every layer of its base. */
  private async checkLayeredOn(imageId: string, baseId: string): Promise<void> {
    const [image, base] = await Promise.all([this.inspectImage(imageId), this.inspectImage(baseId)]);
    if (!image || !base)
      throw new EngineError(
        `cannot check the base of ${imageId}: ${!image ? imageId : baseId} is gone from the engine`,
      );
    const prefix = image.layers.slice(0, base.layers.length);
    if (base.layers.length === 0 || prefix.some((layer, index) => layer !== base.layers[index]))
      throw new EngineError(
        `the image ${imageId} is not layered on its base ${baseId}: its first ${base.layers.length} layer(s) differ`,
      );
  }

  /**
   * A tag of this run for a base image, for BuildKit to build FROM. It cannot go right after the
   * build: removing an image's last tag removes the image, and the base is still to be pushed. It
   * goes when the image gets another tag (tagImage), when the image is removed (removeImage), or
   * at the end of the run (releaseRunTags).
   */
  private async runTagFor(imageId: string): Promise<string> {
    const existing = this.runTags.get(imageId);
    if (existing) return existing;
    const repo = `mesos-pipeline-run/${this.runScope}`;
    const tag = imageId.replace(/^sha256:/, '').slice(0, 24);
    try {
      await this.docker.getImage(imageId).tag({ repo, tag });
    } catch (error) {
      if (isUnreachable(error)) throw this.unreachable(error);
      throw new EngineError(`cannot tag the base ${imageId} for the build: ${engineErrorText(error)}`, {
        cause: error,
      });
    }
    const ref = `${repo}:${tag}`;
    this.runTags.set(imageId, ref);
    return ref;
  }

  /** Removes the run's tag of `imageId` (and with it the image, if that was its last name). */
  private async dropRunTag(imageId: string): Promise<void> {
    const ref = this.runTags.get(imageId);
    if (!ref) return;
    try {
      await this.docker.getImage(ref).remove({ noprune: true });
    } catch (error) {
      if (statusOf(error) !== 404)
        throw new EngineError(`cannot remove the run's tag ${ref}: ${engineErrorText(error)}`, { cause: error });
    }
    this.runTags.delete(imageId);
  }

  /**
   * At the end of a run: removes every tag of this run whose image has another name. An image
   * whose only name it is (kept with --keep, never tagged for a push) keeps it, because removing
   * it would remove the image; those tags are returned so the run can say so.
   */
  async releaseRunTags(): Promise<string[]> {
    const kept: string[] = [];
    for (const [imageId, ref] of [...this.runTags]) {
      const data = await this.docker
        .getImage(imageId)
        .inspect()
        .catch(() => undefined);
      if (!data) {
        this.runTags.delete(imageId);
        continue;
      }
      if ((data.RepoTags ?? []).some((name) => name !== ref)) await this.dropRunTag(imageId);
      else kept.push(ref);
    }
    return kept;
  }

  async inspectImage(idOrRef: string): Promise<ImageDetails | undefined> {
    try {
      const data = await this.docker.getImage(idOrRef).inspect();
      const config = data.Config as typeof data.Config & { StopSignal?: string };
      return {
        id: data.Id,
        layers: data.RootFS?.Layers ?? [],
        labels: config.Labels ?? {},
        env: config.Env ?? [],
        entrypoint: (config.Entrypoint as string[] | null | undefined) ?? null,
        cmd: config.Cmd ?? null,
        exposedPorts: Object.keys(config.ExposedPorts ?? {}),
        workdir: config.WorkingDir ?? '',
        user: config.User ?? '',
        stopSignal: config.StopSignal,
        volumes: Object.keys(config.Volumes ?? {}),
        ...(platformOf(data) ? { platform: platformOf(data) } : {}),
      };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      if (isUnreachable(error)) throw this.unreachable(error);
      throw new EngineError(`cannot inspect ${idOrRef}: ${engineErrorText(error)}`, { cause: error });
    }
  }

  async tagImage(imageId: string, ref: ImageRef): Promise<void> {
    try {
      await this.docker.getImage(imageId).tag({ repo: `${ref.host}/${ref.repository}`, tag: ref.tag });
    } catch (error) {
      throw new EngineError(`cannot tag ${imageId} as ${formatImageRef(ref)}: ${engineErrorText(error)}`, {
        cause: error,
      });
    }
    // The image has a name of its own now: the run's tag can go without taking the image along.
    await this.dropRunTag(imageId);
  }

  async push(
    ref: ImageRef,
    credentials: Credentials | undefined,
    onOutput: OutputListener,
    signal?: AbortSignal,
  ): Promise<string> {
    const name = formatImageRef(ref);
    const what = `push ${name} to ${ref.host}`;
    const auth = authConfig(credentials, ref.host);
    const messages = await this.followRegistryStream(
      'push',
      what,
      (both) =>
        this.docker
          .getImage(`${ref.host}/${ref.repository}`)
          .push({ tag: ref.tag, abortSignal: both, ...(auth ? { authconfig: auth } : {}) }),
      onOutput,
      signal,
    );
    const failure = messages.map(messageError).find((text) => text !== undefined);
    if (failure) throw new RegistryError('push', `${what}: ${failure}`, { retryable: isTransientText(failure) });
    const digest =
      messages.map((message) => message.aux?.Digest).find((value) => value !== undefined) ??
      messages
        .map((message) => /digest: (sha256:[0-9a-f]{64})/.exec(message.status ?? '')?.[1])
        .find((value) => value !== undefined);
    if (!digest) throw new RegistryError('push', `${what}: the engine did not report a digest`, { retryable: false });
    return digest;
  }

  async pull(
    ref: string,
    credentials: Credentials | undefined,
    onOutput: OutputListener,
    signal?: AbortSignal,
  ): Promise<string> {
    const host = ref.slice(0, ref.indexOf('/'));
    const auth = authConfig(credentials, host);
    const messages = await this.followRegistryStream(
      'pull',
      `pull ${ref}`,
      (both) => this.docker.pull(ref, { abortSignal: both, ...(auth ? { authconfig: auth } : {}) }),
      onOutput,
      signal,
    );
    const failure = messages.map(messageError).find((text) => text !== undefined);
    if (failure) throw new RegistryError('pull', `pull ${ref}: ${failure}`, { retryable: isTransientText(failure) });
    const details = await this.inspectImage(ref);
    if (!details) throw new EngineError(`pull ${ref}: the engine reported success but has no such image`);
    return details.id;
  }

  /**
   * The engine kills and removes a cancelled build's step container on its own, but only after the
   * client is gone; remove it now and wait until it is gone, so nothing the run started outlives it.
   */
  private async removeBuildContainer(id: string): Promise<void> {
    const container = this.docker.getContainer(id);
    // Up to 5 s: 50 tries 100 ms apart (counted, not timed: a test's clock may stand still).
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        await container.remove({ force: true });
      } catch (error) {
        if (statusOf(error) === 404) return;
        // 409: the engine is removing it already; wait for that.
      }
      try {
        await container.inspect();
      } catch (error) {
        if (statusOf(error) === 404) return;
      }
      await this.clock.sleep(100);
    }
  }

  /**
   * Reads a push or pull stream, giving up when the engine reports nothing for stallTimeoutMs: a
   * registry that accepted a connection and then went silent would otherwise hold the run forever.
   */
  private async followRegistryStream(
    step: 'push' | 'pull',
    what: string,
    start: (signal: AbortSignal) => Promise<NodeJS.ReadableStream>,
    onOutput: OutputListener,
    signal: AbortSignal | undefined,
  ): Promise<EngineMessage[]> {
    const stall = new AbortController();
    const stalled = (): RegistryError =>
      new RegistryError(
        step,
        `${what}: no progress for ${Math.round(this.stallTimeoutMs / 1000)}s; the registry stopped answering`,
        { retryable: true },
      );
    let cancelStall = this.clock.after(this.stallTimeoutMs, () => stall.abort(stalled()));
    const both = signal ? AbortSignal.any([signal, stall.signal]) : stall.signal;
    try {
      let stream: NodeJS.ReadableStream;
      try {
        stream = await start(both);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (stall.signal.aborted) throw stall.signal.reason;
        if (isUnreachable(error)) throw this.unreachable(error);
        const text = engineErrorText(error);
        throw new RegistryError(step, `${what}: ${text}`, {
          retryable: isTransientText(text),
          status: statusOf(error),
          cause: error,
        });
      }
      try {
        return await readEngineStream(
          stream,
          (message) => {
            cancelStall();
            cancelStall = this.clock.after(this.stallTimeoutMs, () => stall.abort(stalled()));
            for (const line of outputLines(message)) onOutput(line);
          },
          both,
        );
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (stall.signal.aborted) throw stall.signal.reason;
        throw new RegistryError(step, `${what}: the engine stream broke: ${errorMessage(error)}`, {
          retryable: true,
          cause: error,
        });
      }
    } finally {
      cancelStall();
    }
  }

  async removeImage(idOrRef: string): Promise<void> {
    await this.dropRunTag(idOrRef);
    try {
      // noprune keeps the untagged parents: the classic builder's cache for the next run.
      await this.docker.getImage(idOrRef).remove({ noprune: true });
    } catch (error) {
      if (statusOf(error) === 404) return;
      // A base image stays while the child's build cache (its intermediate images) descends from it.
      if (statusOf(error) === 409 && /dependent child images/.test(engineErrorText(error))) return;
      throw new EngineError(`cannot remove ${idOrRef}: ${engineErrorText(error)}`, { cause: error });
    }
  }
}

/**
 * The build context as a tar stream, `.dockerignore` applied, with the Dockerfile that carries the
 * labels as one LABEL instruction when it can (`dockerfile`; undefined: labels go through the API).
 */
async function packed(
  request: BuildRequest,
  original: string,
): Promise<{ context: ReturnType<typeof packContext>; dockerfile: string | undefined }> {
  const filter = await contextFilter(request.context);
  const dockerfile = labelledDockerfile(original, request.labels);
  const context = packContext(
    request.context,
    filter,
    dockerfile === undefined ? undefined : { name: LABELLED_DOCKERFILE, content: dockerfile },
  );
  return { context, dockerfile };
}

/** `linux/arm64` (or `linux/arm/v7`) from an image inspect answer, when it names an architecture. */
function platformOf(data: { Os?: string; Architecture?: string; Variant?: string }): string | undefined {
  if (!data.Architecture) return undefined;
  return [data.Os || 'linux', data.Architecture, ...(data.Variant ? [data.Variant] : [])].join('/');
}

/** Equal platforms, where an arm64 image without a variant is arm64/v8 (containerd's normalisation). */
export function samePlatform(a: string, b: string): boolean {
  const normal = (platform: string): string => platform.replace(/^(\w+\/arm64)\/v8$/, '$1');
  return normal(a) === normal(b);
}

/** The build args BuildKit sets for a target platform, for the classic builder, which does not. */
export function platformArgs(platform: string): Record<string, string> {
  const [os = '', arch = '', variant = ''] = platform.split('/');
  return { TARGETPLATFORM: platform, TARGETOS: os, TARGETARCH: arch, TARGETVARIANT: variant };
}
