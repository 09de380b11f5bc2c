import { simpleGit, type SimpleGit } from 'simple-git';
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

// What git needs to reach a remote, and nothing that could run code (simple-git refuses EDITOR,
// GIT_SSH_COMMAND and the like, and so do we).
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

export class SimpleGitRemote implements GitRemote {
  private readonly git: SimpleGit;

  constructor(git?: SimpleGit) {
    // No prompt for credentials: an unattended nightly must fail, not hang.
    this.git = git ?? simpleGit({ timeout: { block: 120_000 } }).env(gitEnv(process.env));
  }

  async listRefs(repo: string, signal?: AbortSignal): Promise<RemoteRefs> {
    signal?.throwIfAborted();
    let output: string;
    try {
      output = await this.git.listRemote(['--heads', '--tags', '--', repo]);
    } catch (error) {
      const reason =
        errorMessage(error)
          .split('\n')
          .find((line) => /fatal|error|not found|unable|could not/i.test(line)) ?? errorMessage(error).split('\n')[0];
      throw new WorkError('resolve', `cannot read the branches of ${repo}: ${reason?.trim()}`, { cause: error });
    }
    return parseLsRemote(output);
  }
}
