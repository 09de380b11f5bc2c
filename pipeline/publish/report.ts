import type { TestOutcome } from '../smoke/outcome.js';

export const REPORT_VERSION = 1;

export type ImageStatus = 'planned' | 'built' | 'tested' | 'pushed' | 'unchanged' | 'failed' | 'skipped';
export type BranchStatus = 'planned' | 'tested' | 'published' | 'unchanged' | 'failed' | 'interrupted';

/** The failure step of a branch the run's time limit cut off (its status is `interrupted`). */
export const TIME_LIMIT_STEP = 'time-limit';

export interface Failure {
  /**
   * The stage that failed: resolve, engine, build, smoke, push, retag, verify, rollback, registry;
   * `interrupted` (a signal) or `time-limit` (cut off by `--time-limit`) for an interrupted branch.
   */
  step: string;
  image?: string;
  message: string;
  /** The failing smoke tests, by name. */
  tests?: string[];
  /** The last lines of build output or of the failing container's log. */
  logTail?: string[];
}

export interface ImageReport {
  name: string;
  status: ImageStatus;
  imageId?: string;
  digest?: string;
  /** References that point at `digest` after the run. */
  tags: string[];
  /** For `unchanged`: the digest reused from the registry. */
  reusedDigest?: string;
  /** Why the image was rebuilt or reused. */
  reason?: string;
  durations: { buildMs?: number; smokeMs?: number; pushMs?: number };
  smoke?: TestOutcome[];
}

export interface BranchReport {
  branch: string;
  sha: string;
  version: string;
  status: BranchStatus;
  durationMs: number;
  images: ImageReport[];
  failure?: Failure;
  /** What was done to undo a half-finished push, when it came to that. */
  rollback?: string[];
}

export interface RunReport {
  version: typeof REPORT_VERSION;
  command: 'publish';
  /** Also the value of the io.mesos-pipeline.run label on every container the run started. */
  runId: string;
  date: string;
  registry: string;
  repo: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  status: 'success' | 'failed' | 'interrupted';
  options: { push: boolean; force: boolean; keep: boolean };
  branches: BranchReport[];
}
