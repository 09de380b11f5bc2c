import type { RemoteRefs } from './plan/branches.js';

/** The only source of time. Pure code takes the instant as an argument instead. */
export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Reads a repository's refs without cloning it. */
export interface GitRemote {
  listRefs(repo: string, signal?: AbortSignal): Promise<RemoteRefs>;
}
