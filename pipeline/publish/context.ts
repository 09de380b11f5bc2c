import type { Logger } from '../log.js';
import type { Clock, ContainerRuntime, Credentials, HostCgroups, ImageEngine, Registry } from '../ports.js';
import type { TagDeleter } from '../registry/tag-deleter.js';
import type { RetryPolicy } from '../retry.js';
import type { SmokeSpec } from '../smoke/spec-schema.js';
import type { StageTarget } from './stage.js';

/** The outside world a publish run works with, each behind its port. */
export interface PublishDeps {
  engine: ImageEngine;
  containers: ContainerRuntime;
  cgroups: HostCgroups;
  /** Needed only when pushing. */
  registry?: Registry | undefined;
  /**
   * How a rollback deletes a tag that did not exist before the run, given the registry client of
   * the rollback. Default: the Registry API (manifest deletes); Docker Hub needs its own API.
   */
  tagDeleterFor?: ((registry: Registry) => TagDeleter) | undefined;
  credentials: Credentials | undefined;
  clock: Clock;
  log: Logger;
  signal: AbortSignal;
  retry: RetryPolicy;
}

export interface PublishOptions {
  push: boolean;
  keep: boolean;
  force: boolean;
  /** Branches built and tested at the same time. Pushes overlap with the next branch's build. */
  concurrency: number;
  /** An unchanged image older than this (by its created label) is rebuilt all the same. */
  rebuildAfterMs: number;
  /**
   * publish --stage: build and smoke-test only this platform of each image and push it under a
   * staging tag of the run, for publish --assemble; no tag users pull moves.
   */
  stage?: StageTarget | undefined;
}

/** What every branch of a run shares: loaded once, not once per branch. */
export interface RunShared {
  smokeSpecs: ReadonlyMap<string, SmokeSpec>;
  /** Labels every image built (io.mesos-pipeline.run), so `clean --run` finds what a job made. */
  runId?: string | undefined;
  /** Digest of each image's build context, computed on first use. */
  contextDigest(image: string, context: string): Promise<string>;
  /** False with --no-compile-cache: builds bypass the compile cache. Default true. */
  compileCache?: boolean | undefined;
}
