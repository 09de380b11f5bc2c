type Env = Readonly<Record<string, string | undefined>>;

/** The URL of the workflow run, from what GitHub Actions puts in every step's environment. */
export function runUrlOf(env: Env): string | undefined {
  const repository = env.GITHUB_REPOSITORY;
  const runId = env.GITHUB_RUN_ID;
  if (!repository || !runId) return undefined;
  const server = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, '');
  const attempt = Number(env.GITHUB_RUN_ATTEMPT ?? '1');
  return `${server}/${repository}/actions/runs/${runId}${attempt > 1 ? `/attempts/${attempt}` : ''}`;
}

/** Running as a GitHub Actions step: workflow commands (groups, annotations) are understood. */
export function isGitHubActions(env: Env): boolean {
  return env.GITHUB_ACTIONS === 'true';
}
