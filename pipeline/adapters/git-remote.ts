import { ProcessTimeoutError, WorkError, errorMessage } from '../errors.js';
import type { Clock, GitRemote, RemoteRefs } from '../ports.js';
import { runBounded, type ProcessResult } from './bounded-process.js';

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

function reasonOf(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim());
  return (
    lines.find((line) => /fatal|error|not found|unable|could not/i.test(line)) ??
    lines.find((line) => line !== '') ??
    'git gave no reason'
  );
}

/**
 * `git ls-remote`, run directly rather than through simple-git: simple-git can stop only the git
 * process, and git leaves its remote helper (git-remote-http, which holds the connection) running
 * as an orphan. runBounded stops the whole process group, on the run's signal or after silence.
 */
export class GitLsRemote implements GitRemote {
  private readonly clock: Clock;
  private readonly silenceTimeoutMs: number;

  /** `clock` keeps the silence timeout: the run's clock, from the composition root (main.ts). */
  constructor(clock: Clock, options: { silenceTimeoutMs?: number } = {}) {
    this.clock = clock;
    this.silenceTimeoutMs = options.silenceTimeoutMs ?? GIT_SILENCE_TIMEOUT_MS;
  }

  async listRefs(repo: string, signal?: AbortSignal): Promise<RemoteRefs> {
    const failed = (reason: string, cause?: unknown): WorkError =>
      new WorkError('resolve', `cannot read the branches of ${repo}: ${reason}`, { cause });
    let result: ProcessResult;
    try {
      // No prompt for credentials (GIT_TERMINAL_PROMPT=0, and no terminal in its own session): an
      // unattended nightly must fail, not hang. Silence, not a slow answer, is what gives up.
      result = await runBounded('git', ['ls-remote', '--heads', '--tags', '--', repo], {
        env: gitEnv(process.env),
        signal,
        timeoutMs: this.silenceTimeoutMs,
        clock: this.clock,
        silence: true,
        stdoutLimit: 256 * 1024 * 1024,
        stderr: true,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      if (error instanceof ProcessTimeoutError) throw failed(`no answer for ${this.silenceTimeoutMs / 1000}s`, error);
      const code = (error as NodeJS.ErrnoException).code;
      throw failed(code === 'ENOENT' ? 'git is not installed (not on PATH)' : errorMessage(error), error);
    }
    if (result.code !== 0) throw failed(reasonOf(result.stderr));
    return parseLsRemote(result.stdout.toString('utf8'));
  }
}
