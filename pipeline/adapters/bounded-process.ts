import { spawn } from 'node:child_process';
import { ProcessTimeoutError } from '../errors.js';
import type { Clock } from '../ports.js';

/** What a finished process left: its exit, its stdout (up to the limit) and the head of its stderr. */
export interface ProcessResult {
  code: number | null;
  killedBy: NodeJS.Signals | null;
  stdout: Buffer;
  /** Bytes written to stdout in all, also beyond the limit. */
  stdoutBytes: number;
  stderr: string;
}

export interface BoundedOptions {
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** The run's signal: the process is killed at once and the promise rejects with the reason. */
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** Keeps the timeout: the run's clock, which the adapter got through its constructor. */
  clock: Clock;
  /** The timeout counts silence (restarts on every output) rather than the whole run. */
  silence?: boolean | undefined;
  /** stdout kept, at most (default 1 MiB). */
  stdoutLimit?: number | undefined;
  /** Keep stderr (its first 64 KiB); else it is not read at all. */
  stderr?: boolean | undefined;
}

const STDERR_LIMIT = 64 * 1024;

/**
 * Runs a helper program (git, a docker credential helper) bounded by time and by the run's signal.
 * It runs in a process group of its own, and stopping it kills the whole group: git leaves its
 * remote helper (which holds the connection) behind when only git is killed, and a shell script's
 * child would hold its output open. Stopping never waits for the process: SIGKILL, then its pipes
 * are dropped. Spawn errors (ENOENT: not installed) reject as they are.
 */
export function runBounded(command: string, args: readonly string[], options: BoundedOptions): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    options.signal?.throwIfAborted();
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', options.stderr ? 'pipe' : 'ignore'],
      detached: true,
    });
    const limit = options.stdoutLimit ?? 1024 * 1024;
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let settled = false;
    const { clock } = options;
    let cancelTimer = (): void => undefined;
    const stop = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      child.stdin?.destroy();
      child.stdout?.destroy();
      child.stderr?.destroy();
    };
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      cancelTimer();
      options.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const fail = (error: Error): void =>
      finish(() => {
        stop();
        reject(error);
      });
    const onAbort = (): void => fail(options.signal?.reason as Error);
    const arm = (): void => {
      cancelTimer();
      cancelTimer = clock.after(options.timeoutMs, () => fail(new ProcessTimeoutError(command, options.timeoutMs)));
    };
    arm();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes <= limit) chunks.push(chunk);
      if (options.silence) arm();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_LIMIT) stderr += chunk.toString('utf8');
      if (options.silence) arm();
    });
    child.on('error', (error) => finish(() => reject(error)));
    child.on('close', (code, killedBy) =>
      finish(() => resolve({ code, killedBy, stdout: Buffer.concat(chunks), stdoutBytes, stderr })),
    );
    if (child.stdin) {
      // A program may exit without reading its stdin (docker ignores that too): its exit code and
      // output decide, never the EPIPE of this write.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}
