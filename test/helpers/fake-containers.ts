import type {
  ArchiveEntry,
  ContainerRuntime,
  ContainerSpec,
  ExecResult,
  HostCgroups,
  ImageDetails,
  PathStat,
  RunningContainer,
} from '../../pipeline/ports.js';
import type { FakeEngine } from './fake-engine.js';

// A ContainerRuntime for unit tests of orchestration: containers are records, commands are
// answered by a handler. Every container it creates is counted, so a test can prove that a run
// removed them all, whatever happened.

/** Answers a command run in a container of `image`. */
export type CommandHandler = (command: string[], image: ImageDetails, signal?: AbortSignal) => Promise<ExecResult>;

/**
 * `label KEY` prints the image's label; `hang` waits until the signal aborts; anything else
 * succeeds silently. Enough for smoke specs that check what the build put into an image.
 */
export const labelCommands: CommandHandler = async (command, image, signal) => {
  if (command[0] === 'label') return { exitCode: 0, stdout: `${image.labels[command[1] ?? ''] ?? ''}\n`, stderr: '' };
  if (command[0] === 'uname') {
    const machine = image.platform === 'linux/arm64' ? 'aarch64' : 'x86_64';
    return { exitCode: 0, stdout: `${machine}\n`, stderr: '' };
  }
  if (command[0] === 'hang') {
    await new Promise((_, reject) => {
      if (signal?.aborted) reject(signal.reason as Error);
      signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
  }
  return { exitCode: 0, stdout: '', stderr: '' };
};

interface Record {
  id: string;
  image: ImageDetails;
  running: boolean;
}

export class FakeContainers implements ContainerRuntime {
  /** Every container created, by ID, in order. */
  readonly created: string[] = [];
  /** The platform each container was created for (undefined: none named), in order. */
  readonly platforms: (string | undefined)[] = [];
  /** Containers not removed yet. */
  readonly live = new Map<string, Record>();
  /** Called when a container starts, with the running container (a test may interrupt here). */
  onStart: ((id: string) => void) | undefined;
  handler: CommandHandler;
  private readonly engine: FakeEngine;

  constructor(engine: FakeEngine, handler: CommandHandler = labelCommands) {
    this.engine = engine;
    this.handler = handler;
  }

  private async create(spec: ContainerSpec): Promise<Record> {
    const image = await this.engine.inspectImage(spec.image);
    if (!image) throw new Error(`No such image: ${spec.image}`);
    // As the engine: a container created for a platform must be of an image of that platform.
    if (spec.platform && spec.platform !== (image.platform ?? 'linux/amd64'))
      throw new Error(
        `image with reference ${spec.image} was found but does not match the specified platform: wanted ` +
          `${spec.platform}`,
      );
    this.platforms.push(spec.platform);
    const id = `container-${this.created.length + 1}`;
    const record = { id, image, running: true };
    this.created.push(id);
    this.live.set(id, record);
    return record;
  }

  async runToCompletion(
    spec: ContainerSpec,
    _timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ExecResult & { timedOut: boolean }> {
    const record = await this.create(spec);
    try {
      return { ...(await this.handler(spec.cmd ?? [], record.image, signal)), timedOut: false };
    } finally {
      this.live.delete(record.id);
    }
  }

  async start(spec: ContainerSpec, signal?: AbortSignal): Promise<RunningContainer> {
    signal?.throwIfAborted();
    const record = await this.create(spec);
    this.onStart?.(record.id);
    return {
      id: record.id,
      hostPort: () => 0,
      exec: (command, _options, execSignal) => this.handler(command, record.image, execSignal),
      state: () => Promise.resolve({ running: record.running, exitCode: record.running ? 0 : 143 }),
      logsTail: () => Promise.resolve(`log of ${record.id}\n`),
      stop: () => {
        record.running = false;
        return Promise.resolve();
      },
    };
  }

  /** Like runToCompletion; the fake commits nothing, so there is no image to hand back. */
  async runAndCommit(
    spec: ContainerSpec,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ExecResult & { timedOut: boolean; image?: string | undefined }> {
    return this.runToCompletion(spec, timeoutMs, signal);
  }

  removeImage(): Promise<void> {
    return Promise.resolve();
  }

  readArchive(): Promise<ArchiveEntry[] | undefined> {
    return Promise.resolve(undefined);
  }

  statPath(): Promise<PathStat | undefined> {
    return Promise.resolve(undefined);
  }

  readFile(): Promise<Buffer | undefined> {
    return Promise.resolve(undefined);
  }

  remove(id: string): Promise<void> {
    this.live.delete(id);
    return Promise.resolve();
  }

  removeAll(): Promise<void> {
    this.live.clear();
    return Promise.resolve();
  }
}

/** The cgroups of a fake container: there while it runs, gone once stopped. */
export class FakeHostCgroups implements HostCgroups {
  private readonly containers: FakeContainers;
  constructor(containers: FakeContainers) {
    this.containers = containers;
  }
  pathsOf(id: string): Promise<string[]> {
    return Promise.resolve(this.containers.live.get(id)?.running ? [`/sys/fs/cgroup/memory/docker/${id}`] : []);
  }
  /** Fake containers leave no cgroups of their own below the hierarchy roots. */
  matching(): Promise<string[]> {
    return Promise.resolve([]);
  }
}
