import { spawn } from 'node:child_process';
import { WorkError, errorMessage } from '../errors.js';
import type { RemoteRefs } from '../plan/branches.js';
import type { GitRemote } from '../ports.js';

/** Parses `git ls-remote --heads --tags` output; a peeled `^{}` line wins over its annotated tag. */
export function parseLsRemote(output: string): RemoteRefs {
  const heads = new Map<string, string>();
  const tags = new Map<string, string>();
  const peeled = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^([0-9a-f]{40}|[0-9a-f]{64})\t(\S+)$/.exec(line.trim());
    if (!match) continue;
    const [, sha, ref] = match as unknown as [string, string, string];
    if (ref.startsWith('refs/heads/')) heads.set(ref.slice('refs/heads/'.length), sha);
    else if (ref.startsWith('refs/tags/') && ref.endsWith('^{}')) peeled.set(ref.slice('refs/tags/'.length, -3), sha);
    else if (ref.startsWith('refs/tags/')) tags.set(ref.slice('refs/tags/'.length), sha);
  }
  for (const [name, sha] of peeled) tags.set(name, sha);
  return { heads, tags };
}

// What git needs to reach a remote, and nothing that could run code (EDITOR, GIT_SSH_COMMAND,
// GIT_ASKPASS and the like stay out).
const PASSED_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'TMPDIR',
  'XDG_CONFIG_HOME',
  'SSH_AUTH_SOCK',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'GIT_SSL_CAINFO',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_NOSYSTEM',
];

function gitEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
  for (const name of PASSED_ENV) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** How long git may go without a word from the remote before it is stopped. */
const GIT_SILENCE_TIMEOUT_MS = 120_000;
// Enough of git's stderr for the one line an error message needs.
const STDERR_LIMIT = 64 * 1024;

function reasonOf(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim());
  return (
    lines.find((line) => /fatal|error|not found|unable|could not/i.test(line)) ??
    lines.find((line) => line !== '') ??
    'git gave no reason'
  );
}

/**
 * `git ls-remote` run directly rather than through simple-git: simple-git can stop only the git
 * process, and git leaves its remote helper (git-remote-http, which holds the connection) running
 * as an orphan. Here git runs in a process group of its own, and stopping it stops the group.
 */
export class GitLsRemote implements GitRemote {
  private readonly silenceTimeoutMs: number;

  constructor(options: { silenceTimeoutMs?: number } = {}) {
    this.silenceTimeoutMs = options.silenceTimeoutMs ?? GIT_SILENCE_TIMEOUT_MS;
  }

  listRefs(repo: string, signal?: AbortSignal): Promise<RemoteRefs> {
    return new Promise((resolve, reject) => {
      signal?.throwIfAborted();
      const failed = (reason: string, cause?: unknown): WorkError =>
        new WorkError('resolve', `cannot read the branches of ${repo}: ${reason}`, { cause });
      // No prompt for credentials (GIT_TERMINAL_PROMPT=0 and no terminal): an unattended nightly
      // must fail, not hang.
      const child = spawn('git', ['ls-remote', '--heads', '--tags', '--', repo], {
        env: gitEnv(process.env),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      const stdout: Buffer[] = [];
      let stderr = '';
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const stop = (): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
        child.stdout.destroy();
        child.stderr.destroy();
      };
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const onAbort = (): void =>
        finish(() => {
          stop();
          reject(signal?.reason as Error);
        });
      // Like simple-git's block timeout: silence, not a slow answer, is what gives up.
      const quiet = (): void => {
        clearTimeout(timer);
        timer = setTimeout(
          () =>
            finish(() => {
              stop();
              reject(failed(`no answer for ${this.silenceTimeoutMs / 1000}s`));
            }),
          this.silenceTimeoutMs,
        );
      };
      quiet();
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (chunk: Buffer) => {
        stdout.push(chunk);
        quiet();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < STDERR_LIMIT) stderr += chunk.toString('utf8');
        quiet();
      });
      child.on('error', (error: NodeJS.ErrnoException) =>
        finish(() =>
          reject(
            error.code === 'ENOENT'
              ? failed('git is not installed (not on PATH)', error)
              : failed(errorMessage(error), error),
          ),
        ),
      );
      child.on('close', (code) =>
        finish(() => {
          if (code === 0) resolve(parseLsRemote(Buffer.concat(stdout).toString('utf8')));
          else reject(failed(reasonOf(stderr)));
        }),
      );
    });
  }
}
