import type { ImageRef } from '../tags/index.js';

/**
 * The interfaces the core owns. Adapters (pipeline/adapters/) implement them with dockerode,
 * the git CLI, fetch and Octokit, and get their clients through their constructors.
 */

/** The only source of time. Pure code takes the instant as an argument instead. */
export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fire` once after `ms` unless the returned function cancels it first. Every timeout and
   * deadline goes through here. The timer alone does not keep the process alive: the work it bounds does.
   */
  after(ms: number, fire: () => void): () => void;
}

/** What `git ls-remote --heads --tags` says about a repository. */
export interface RemoteRefs {
  /** Branch name (without refs/heads/) to commit sha. */
  heads: ReadonlyMap<string, string>;
  /** Tag name (without refs/tags/) to the commit it points at (annotated tags peeled). */
  tags: ReadonlyMap<string, string>;
}

/** A container port as the engine keys it: `80` is `80/tcp`; `53/udp` stays as it is. */
export function portKey(port: string | number): string {
  const text = String(port);
  return text.includes('/') ? text : `${text}/tcp`;
}

/** Reads a repository's refs without cloning it. */
export interface GitRemote {
  listRefs(repo: string, signal?: AbortSignal): Promise<RemoteRefs>;
}

/** Registry credentials: what `docker login` would store. */
export interface Credentials {
  username: string;
  password: string;
}

export interface BuildRequest {
  /** Absolute path of the context folder; streamed, honouring its .dockerignore. */
  context: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  /**
   * The image ID a build arg names as the base (`FROM ${BASE_IMAGE}`): the built image must be
   * layered on exactly this image, which the engine checks after the build.
   */
  baseImageId?: string | undefined;
  /** False: the compile cache is bypassed (`--no-compile-cache`). Default true. */
  compileCache?: boolean | undefined;
  /** Run every step again rather than take it from the build cache (`docker build --no-cache`). */
  noCache?: boolean | undefined;
  /**
   * The platform to build for (`linux/arm64`): the engine's `platform` parameter. The built image
   * must be of it, which the engine checks after the build. Undefined: the engine's own.
   */
  platform?: string | undefined;
}

export interface ImageDetails {
  id: string;
  /** The parent chain as the engine reports it (RootFS layers), for "layered on" checks. */
  layers: string[];
  labels: Record<string, string>;
  env: string[];
  entrypoint: string[] | null;
  cmd: string[] | null;
  exposedPorts: string[];
  workdir: string;
  user: string;
  stopSignal: string | undefined;
  volumes: string[];
  /** The image's platform as its config says (`linux/arm64`, `linux/arm/v7`), when it says. */
  platform?: string | undefined;
}

export interface EngineInfo {
  /** How the engine was reached, for messages: `unix:///var/run/docker.sock`. */
  address: string;
  serverVersion: string;
  cgroupVersion: string;
  cgroupDriver: string;
  /** The host name of the machine the engine runs on (docker info's Name). */
  name: string;
  /** docker info's SecurityOptions: `name=seccomp,profile=builtin`, `name=rootless`, ... */
  securityOptions: string[];
}

/** Engine output lines (build steps, push progress) as they arrive; `step` marks a build step's start. */
export type OutputListener = (line: string, kind?: 'step') => void;

/** What the pipeline needs from a Docker engine for images. */
export interface ImageEngine {
  info(signal?: AbortSignal): Promise<EngineInfo>;
  /** Builds and returns the image ID; fails with the daemon's own message. */
  build(request: BuildRequest, onOutput: OutputListener, signal?: AbortSignal): Promise<string>;
  inspectImage(idOrRef: string): Promise<ImageDetails | undefined>;
  tagImage(imageId: string, ref: ImageRef): Promise<void>;
  /** Pushes one tag and returns the manifest digest the registry stored. */
  push(
    ref: ImageRef,
    credentials: Credentials | undefined,
    onOutput: OutputListener,
    signal?: AbortSignal,
  ): Promise<string>;
  /** Pulls `ref` (a tag or a digest reference) and returns the local image ID. */
  pull(
    ref: string,
    credentials: Credentials | undefined,
    onOutput: OutputListener,
    signal?: AbortSignal,
  ): Promise<string>;
  /** Removes a tag or an image; keeps parent layers (the build cache). Missing is fine. */
  removeImage(idOrRef: string): Promise<void>;
}

export interface ContainerSpec {
  image: string;
  cmd?: string[] | undefined;
  /** Replaces the image's entrypoint; `[]` clears it. */
  entrypoint?: string[] | undefined;
  env?: Record<string, string> | undefined;
  user?: string | undefined;
  /** Container ports to publish on 127.0.0.1, at ports the engine picks. */
  ports?: string[] | undefined;
  privileged?: boolean | undefined;
  capAdd?: string[] | undefined;
  capDrop?: string[] | undefined;
  securityOpt?: string[] | undefined;
  tmpfs?: Record<string, string> | undefined;
  /** Anonymous volumes, removed with the container. */
  volumes?: string[] | undefined;
  cgroupns?: 'host' | 'private' | undefined;
  /** The image's platform (`linux/arm64`), for the engine's create call: run under emulation if need be. */
  platform?: string | undefined;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits as the engine reports them: permission bits plus type flags. */
  mode: number;
  linkTarget: string;
}

/** One entry of the tar archive the engine makes of a path (what `docker cp` copies out). */
export interface ArchiveEntry {
  /** The base name of the path asked for (`passwd`, `doc/`), then the paths below it (`doc/dash/copyright`). */
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'other';
  /** Permission bits (with setuid, setgid, sticky) as the archive holds them. */
  mode: number;
  uid: number;
  gid: number;
  /** Where a symlink points, as written in it. */
  linkTarget?: string;
  /** The bytes of a regular file whose name `contentOf` accepted, at most `limit` of them. */
  content?: Buffer;
}

export interface ArchiveOptions {
  /** Only the entry of the path itself: stops reading there (a directory's archive holds everything below it). */
  first?: boolean;
  contentOf?: (name: string) => boolean;
  limit?: number;
}

export interface RunningContainer {
  readonly id: string;
  /** The 127.0.0.1 port a published container port landed on. */
  hostPort(containerPort: string): number;
  exec(
    command: string[],
    options: { user?: string | undefined; timeoutMs: number },
    signal?: AbortSignal,
  ): Promise<ExecResult>;
  /** Running, or the exit code it stopped with. */
  state(): Promise<{ running: boolean; exitCode: number }>;
  logsTail(lines: number): Promise<string>;
  stop(timeoutSeconds: number): Promise<void>;
}

/**
 * Containers for smoke tests. Every container it creates is labelled with the run and removed by
 * `removeAll`, which the run calls on success, failure, timeout and interruption alike.
 */
export interface ContainerRuntime {
  /** Runs to completion and returns exit code and output; the container is removed. */
  runToCompletion(
    spec: ContainerSpec,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ExecResult & { timedOut: boolean }>;
  /**
   * Like runToCompletion, then keeps the container's filesystem as an image for the next command
   * (c-s-t's setup); none when it timed out. The image is removed by removeImage, or by removeAll.
   */
  runAndCommit(
    spec: ContainerSpec,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ExecResult & { timedOut: boolean; image?: string | undefined }>;
  /** Removes an image runAndCommit made. Missing is fine. */
  removeImage(image: string): Promise<void>;
  /** Creates and starts a container that keeps running until stopped or removed. */
  start(spec: ContainerSpec, signal?: AbortSignal): Promise<RunningContainer>;
  /** Stat of a path inside the image (without running it), or undefined when it is missing. */
  statPath(image: string, path: string): Promise<PathStat | undefined>;
  /** Bytes of a file inside the image (at most `limit`), or undefined when it is missing. */
  readFile(image: string, path: string, limit: number): Promise<Buffer | undefined>;
  /** The archive entries of a path inside the image (without running it), or undefined when it is missing. */
  readArchive(image: string, path: string, options?: ArchiveOptions): Promise<ArchiveEntry[] | undefined>;
  remove(id: string): Promise<void>;
  /** Removes every container (and committed image) this runtime created and has not removed yet. */
  removeAll(): Promise<void>;
}

/** Cgroup paths a container left on the host running the engine. */
export interface HostCgroups {
  /** Every cgroup directory on the host whose path names the container. */
  pathsOf(containerId: string): Promise<string[]>;
  /**
   * Every cgroup directory on the host at one of `patterns`, each a path relative to the root of
   * a hierarchy in which `*` stands for any run of characters within one segment.
   */
  matching(patterns: readonly string[]): Promise<string[]>;
}

/** What a fact about the host turned out to be; `unknown` when it cannot be read from here. */
export type HostFact = { status: 'yes' } | { status: 'no'; why: string } | { status: 'unknown'; why: string };

/**
 * What the host the engine runs on offers the containers of service tests, read before anything
 * is built (publish's preflight).
 */
export interface HostFacts {
  /** The cgroup version the engine's containers get, or undefined when it cannot tell. */
  cgroupVersion(): Promise<1 | 2 | undefined>;
  /** Whether a privileged container (`docker run --privileged`) can start here. */
  privileged(): Promise<HostFact>;
  /** Of `modules`, those the host lacks, and those it cannot tell about. */
  kernelModules(modules: readonly string[]): Promise<{ missing: string[]; unknown: string[] }>;
}

export interface Manifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/**
 * The Registry HTTP API v2, for one registry host. Repositories are `namespace/name`. An adapter is
 * bound to the run: it stops when the run is interrupted.
 */
export interface Registry {
  readonly host: string;
  /** The digest a tag points at, or undefined when the tag does not exist. */
  digestOf(repository: string, reference: string): Promise<string | undefined>;
  getManifest(repository: string, reference: string): Promise<Manifest | undefined>;
  /** Puts `manifest` (bytes and media type unchanged) under `tag`; returns the stored digest. */
  putManifest(repository: string, tag: string, manifest: Manifest): Promise<string>;
  getBlob(repository: string, digest: string): Promise<Buffer>;
  listTags(repository: string): Promise<string[]>;
  /** Deletes a manifest and with it every tag that points at it. */
  deleteManifest(repository: string, digest: string): Promise<void>;
  /** Uploads a small blob (a config) and returns its digest. */
  putBlob(repository: string, bytes: Buffer): Promise<string>;
  /**
   * A client for undoing work after the run was stopped: it ignores the run's signal, retries
   * little and gives up after `timeoutMs`.
   */
  forCleanup(timeoutMs: number): Registry;
}
