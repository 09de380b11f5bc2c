import { runBuiltCli, type CliResult } from './cli.js';
import type { GitRepo } from './git-repo.js';
import { readStack, uniqueId } from './stack.js';

const stack = readStack();

/**
 * `publish --no-push` of `branch` of `repo` with `family`, into a namespace of its own
 * (`prefix`-…) on the open registry, on the stack's engine: for runs that end before any push (a
 * failing smoke test, a time limit) and are judged by what they print and write.
 */
export function publishNoPush(
  repo: GitRepo,
  family: string,
  options: { branch: string; prefix: string; args?: string[]; env?: Record<string, string> },
): Promise<CliResult> {
  return runBuiltCli(
    [
      'publish',
      '--no-push',
      '--repo',
      repo.dir,
      '--branch',
      options.branch,
      '--images',
      family,
      '--registry',
      `${stack.registry}/${options.prefix}-${uniqueId()}`,
      ...(options.args ?? []),
    ],
    { DOCKER_HOST: stack.dockerHost, ...options.env },
  );
}
