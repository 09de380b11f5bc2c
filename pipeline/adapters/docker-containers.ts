import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import { extract } from 'tar-stream';
import { EngineError, errorMessage, statusOf } from '../errors.js';
import { deadline } from '../deadline.js';
import type {
  ArchiveEntry,
  ArchiveOptions,
  Clock,
  ContainerRuntime,
  ContainerSpec,
  ExecResult,
  PathStat,
  RunningContainer,
} from '../ports.js';
import { portKey } from '../ports.js';
import type { Logger } from '../log.js';
import { systemClock } from './clock.js';
import { engineErrorText } from './docker-engine.js';

import { RUN_LABEL } from '../publish/inputs.js';

/** Every container the pipeline creates carries this label with the run's id. */
export { RUN_LABEL };

/** Splits the engine's multiplexed (non-TTY) log format: 8-byte frame headers, stream 1 or 2. */
export function demuxBuffer(buffer: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const type = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    const frame = buffer.subarray(offset + 8, offset + 8 + size);
    (type === 2 ? err : out).push(frame);
    offset += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/**
 * The time limit of one container operation, on the run's clock (pipeline/deadline.ts): resolves
 * 'timeout' when `ms` have passed, rejects with the run's reason when `signal` aborts first.
 */
function timeLimit(
  clock: Clock,
  ms: number,
  signal: AbortSignal | undefined,
): { promise: Promise<'timeout'>; dispose: () => void } {
  const limit = deadline(clock, ms, signal);
  const promise = new Promise<'timeout'>((resolve, reject) => {
    const settle = (): void => (signal?.aborted ? reject(signal.reason as Error) : resolve('timeout'));
    if (limit.signal.aborted) settle();
    else limit.signal.addEventListener('abort', settle, { once: true });
  });
  // Never unhandled: callers race it and may drop it.
  promise.catch(() => undefined);
  return { promise, dispose: limit.dispose };
}

class DockerRunningContainer implements RunningContainer {
  readonly id: string;
  private readonly container: Docker.Container;
  private readonly docker: Docker;
  private readonly ports: Record<string, number>;
  private readonly clock: Clock;

  constructor(docker: Docker, container: Docker.Container, ports: Record<string, number>, clock: Clock) {
    this.docker = docker;
    this.container = container;
    this.id = container.id;
    this.ports = ports;
    this.clock = clock;
  }

  hostPort(containerPort: string): number {
    const port = this.ports[portKey(containerPort)];
    if (port === undefined) throw new EngineError(`container port ${containerPort} is not published`);
    return port;
  }

  async exec(
    command: string[],
    options: { user?: string | undefined; timeoutMs: number },
    signal?: AbortSignal,
  ): Promise<ExecResult> {
    const exec = await this.container.exec({
      Cmd: command,
      AttachStdout: true,
      AttachStderr: true,
      ...(options.user ? { User: options.user } : {}),
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => out.push(chunk));
    stderr.on('data', (chunk: Buffer) => err.push(chunk));
    this.docker.modem.demuxStream(stream, stdout, stderr);
    const ended = new Promise<'done'>((resolve, reject) => {
      stream.on('end', () => resolve('done'));
      stream.on('close', () => resolve('done'));
      stream.on('error', reject);
    });
    const limit = timeLimit(this.clock, options.timeoutMs, signal);
    try {
      const result = await Promise.race([ended, limit.promise]);
      if (result === 'timeout')
        throw new EngineError(
          `\`${command.join(' ')}\` did not finish within ${Math.round(options.timeoutMs / 1000)}s`,
        );
    } finally {
      limit.dispose();
      // The hijacked connection stays half-open after the exec ends; close it or it pins the process.
      stream.destroy();
    }
    const info = await exec.inspect();
    return {
      exitCode: info.ExitCode ?? -1,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
    };
  }

  async state(): Promise<{ running: boolean; exitCode: number }> {
    const info = await this.container.inspect();
    return { running: info.State.Running, exitCode: info.State.ExitCode };
  }

  async logsTail(lines: number): Promise<string> {
    try {
      const buffer = await this.container.logs({ stdout: true, stderr: true, tail: lines, follow: false });
      const { stdout, stderr } = demuxBuffer(buffer);
      return `${stdout}${stderr}`;
    } catch (error) {
      return `(logs unavailable: ${errorMessage(error)})`;
    }
  }

  async stop(timeoutSeconds: number): Promise<void> {
    try {
      await this.container.stop({ t: timeoutSeconds });
    } catch (error) {
      if (statusOf(error) !== 304)
        throw new EngineError(`cannot stop container ${this.id.slice(0, 12)}: ${engineErrorText(error)}`, {
          cause: error,
        });
    }
  }
}

/** ContainerRuntime on dockerode; remembers every container it created until it removed it. */
export class DockerContainers implements ContainerRuntime {
  private readonly docker: Docker;
  private readonly runId: string;
  private readonly live = new Set<string>();
  private readonly committed = new Set<string>();
  private readonly log: Pick<Logger, 'warn'> | undefined;
  private readonly clock: Clock;

  /**
   * `log` hears of a container that could not be removed right away (removeAll tries it again);
   * `clock` keeps the time limits (the system clock unless given).
   */
  constructor(docker: Docker, runId: string, options: { log?: Pick<Logger, 'warn'>; clock?: Clock } = {}) {
    this.docker = docker;
    this.runId = runId;
    this.log = options.log;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Removes a container after its work, never throwing over that work's result or first error
   * (testcontainers' rule): a failure is logged, and the container stays listed, so removeAll at
   * the end of the run tries it again and reports it if it still fails.
   */
  private async removeAfterUse(id: string): Promise<void> {
    try {
      await this.remove(id);
    } catch (error) {
      this.log?.warn(errorMessage(error));
    }
  }

  private async create(spec: ContainerSpec): Promise<Docker.Container> {
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const port of spec.ports ?? []) {
      exposed[portKey(port)] = {};
      // Loopback and an engine-chosen port: parallel tests never collide, nothing is exposed.
      bindings[portKey(port)] = [{ HostIp: '127.0.0.1', HostPort: '' }];
    }
    const options: Docker.ContainerCreateOptions = {
      Image: spec.image,
      Labels: { [RUN_LABEL]: this.runId },
      ExposedPorts: exposed,
      Env: Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`),
      Volumes: Object.fromEntries((spec.volumes ?? []).map((volume) => [volume, {}])),
      HostConfig: {
        PortBindings: bindings,
        Privileged: spec.privileged ?? false,
        CapAdd: spec.capAdd ?? [],
        CapDrop: spec.capDrop ?? [],
        SecurityOpt: spec.securityOpt ?? [],
        Tmpfs: spec.tmpfs ?? {},
        ...(spec.cgroupns ? { CgroupnsMode: spec.cgroupns } : {}),
      },
    };
    if (spec.cmd) options.Cmd = spec.cmd;
    if (spec.entrypoint) options.Entrypoint = spec.entrypoint;
    if (spec.user) options.User = spec.user;
    // A query parameter (API 1.41): the engine checks the image is of it and runs it, emulated if need be.
    if (spec.platform) (options as Docker.ContainerCreateOptions & { platform?: string }).platform = spec.platform;
    try {
      const container = await this.docker.createContainer(options);
      this.live.add(container.id);
      return container;
    } catch (error) {
      throw new EngineError(`cannot create a container of ${spec.image.slice(0, 19)}: ${engineErrorText(error)}`, {
        cause: error,
      });
    }
  }

  async runToCompletion(
    spec: ContainerSpec,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ExecResult & { timedOut: boolean }> {
    const { image: _image, ...result } = await this.run(spec, timeoutMs, signal, false);
    return result;
  }

  async runAndCommit(
    spec: ContainerSpec,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ExecResult & { timedOut: boolean; image?: string | undefined }> {
    return this.run(spec, timeoutMs, signal, true);
  }

  private async run(
    spec: ContainerSpec,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    commit: boolean,
  ): Promise<ExecResult & { timedOut: boolean; image?: string }> {
    const container = await this.create(spec);
    const limit = timeLimit(this.clock, timeoutMs, signal);
    try {
      await container.start();
      const waited = await Promise.race([container.wait() as Promise<{ StatusCode: number }>, limit.promise]);
      const timedOut = waited === 'timeout';
      if (timedOut) await container.kill().catch(() => undefined);
      const buffer = await container.logs({ stdout: true, stderr: true, follow: false });
      const { stdout, stderr } = demuxBuffer(buffer);
      const result = { exitCode: timedOut ? -1 : waited.StatusCode, stdout, stderr, timedOut };
      if (!commit || timedOut) return result;
      // The committed image carries the container's run label: leftovers are findable by run.
      const { Id } = (await container.commit({})) as { Id: string };
      this.committed.add(Id);
      return { ...result, image: Id };
    } catch (error) {
      if (error instanceof EngineError || signal?.aborted) throw error;
      throw new EngineError(`cannot run a container of ${spec.image.slice(0, 19)}: ${engineErrorText(error)}`, {
        cause: error,
      });
    } finally {
      limit.dispose();
      await this.removeAfterUse(container.id);
    }
  }

  async removeImage(image: string): Promise<void> {
    try {
      // noprune: the parent of the first committed image is the image under test, untagged until
      // it is pushed; pruning would delete it. Each committed image is removed on its own.
      await this.docker.getImage(image).remove({ force: true, noprune: true });
      this.committed.delete(image);
    } catch (error) {
      if (statusOf(error) === 404) this.committed.delete(image);
      else
        throw new EngineError(`cannot remove image ${image.slice(0, 19)}: ${engineErrorText(error)}`, {
          cause: error,
        });
    }
  }

  async start(spec: ContainerSpec, signal?: AbortSignal): Promise<RunningContainer> {
    signal?.throwIfAborted();
    const container = await this.create(spec);
    try {
      await container.start();
    } catch (error) {
      await this.removeAfterUse(container.id);
      throw new EngineError(`cannot start a container of ${spec.image.slice(0, 19)}: ${engineErrorText(error)}`, {
        cause: error,
      });
    }
    const info = await container.inspect();
    const ports: Record<string, number> = {};
    for (const [key, bound] of Object.entries(info.NetworkSettings.Ports ?? {})) {
      const hostPort = bound?.[0]?.HostPort;
      if (hostPort) ports[key] = Number(hostPort);
    }
    return new DockerRunningContainer(this.docker, container, ports, this.clock);
  }

  /**
   * Reads from a created, never started container of `image`: its filesystem is the image's, and
   * nothing runs. A path the engine does not find (404) is undefined; the container always goes.
   */
  private async inImage<T>(
    image: string,
    what: string,
    read: (container: Docker.Container) => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const container = await this.create({ image, entrypoint: [], cmd: ['/'] });
    try {
      return await read(container);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw new EngineError(`cannot ${what} in ${image.slice(0, 19)}: ${engineErrorText(error)}`, { cause: error });
    } finally {
      await this.removeAfterUse(container.id);
    }
  }

  async statPath(image: string, path: string): Promise<PathStat | undefined> {
    return this.inImage(image, `stat ${path}`, async (container) => {
      const response = (await container.infoArchive({ path })) as {
        headers: Record<string, string | undefined>;
        destroy(): void;
      };
      // A HEAD answer arrives as a stream; it holds its socket (and the process) until closed.
      response.destroy();
      const header = response.headers['x-docker-container-path-stat'];
      if (!header) return undefined;
      return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
    });
  }

  async readFile(image: string, path: string, limit: number): Promise<Buffer | undefined> {
    return this.inImage(image, `read ${path}`, async (container) => {
      const archive = await container.getArchive({ path });
      return await new Promise<Buffer | undefined>((resolve, reject) => {
        const tar = extract();
        let content: Buffer | undefined;
        tar.on('entry', (header, stream, next) => {
          const chunks: Buffer[] = [];
          let size = 0;
          stream.on('data', (data: unknown) => {
            const chunk = data as Buffer;
            if (content === undefined && header.type === 'file' && size < limit) {
              chunks.push(chunk);
              size += chunk.length;
            }
          });
          stream.on('end', () => {
            if (content === undefined && header.type === 'file') content = Buffer.concat(chunks).subarray(0, limit);
            next();
          });
          stream.resume();
        });
        tar.on('finish', () => resolve(content));
        tar.on('error', reject);
        archive.pipe(tar);
      });
    });
  }

  async readArchive(image: string, path: string, options: ArchiveOptions = {}): Promise<ArchiveEntry[] | undefined> {
    const limit = options.limit ?? 1024 * 1024;
    return this.inImage(image, `read ${path}`, async (container) => {
      const archive = (await container.getArchive({ path })) as NodeJS.ReadableStream & { destroy(): void };
      return await new Promise<ArchiveEntry[]>((resolve, reject) => {
        const tar = extract();
        const entries: ArchiveEntry[] = [];
        const done = (): void => {
          // Reading stops here; the rest of a large directory is not streamed for nothing.
          archive.unpipe(tar);
          archive.destroy();
          resolve(entries);
        };
        tar.on('entry', (header, stream, next) => {
          const type = (['file', 'directory', 'symlink', 'link'] as const).find((t) => t === header.type) ?? 'other';
          const entry: ArchiveEntry = {
            name: header.name,
            type,
            mode: (header.mode ?? 0) & 0o7777,
            uid: header.uid ?? 0,
            gid: header.gid ?? 0,
            ...(header.linkname ? { linkTarget: header.linkname } : {}),
          };
          entries.push(entry);
          if (options.first) {
            stream.resume();
            done();
            return;
          }
          const wanted = type === 'file' && (options.contentOf?.(header.name) ?? false);
          const chunks: Buffer[] = [];
          let size = 0;
          stream.on('data', (data: unknown) => {
            const chunk = data as Buffer;
            if (wanted && size < limit) {
              chunks.push(chunk);
              size += chunk.length;
            }
          });
          stream.on('end', () => {
            if (wanted) entry.content = Buffer.concat(chunks).subarray(0, limit);
            next();
          });
        });
        tar.on('finish', () => resolve(entries));
        tar.on('error', reject);
        archive.pipe(tar);
      });
    });
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
      this.live.delete(id);
    } catch (error) {
      if (statusOf(error) === 404) this.live.delete(id);
      else
        throw new EngineError(`cannot remove container ${id.slice(0, 12)}: ${engineErrorText(error)}`, {
          cause: error,
        });
    }
  }

  async removeAll(): Promise<void> {
    const results = await Promise.allSettled([...this.live].map((id) => this.remove(id)));
    // Newest first: a committed image is the parent of the ones committed after it.
    for (const image of [...this.committed].reverse())
      results.push(...(await Promise.allSettled([this.removeImage(image)])));
    const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed.length > 0) throw new EngineError(failed.map((result) => errorMessage(result.reason)).join('; '));
  }
}
