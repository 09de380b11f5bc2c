// The defaults that `--help` prints. They live here, not in the command modules that use them,
// so that building the command line loads no command (and none of dockerode, zod, date-fns or
// Octokit): test/pipeline/cli/lazy-loading.test.ts checks it.

/** `publish --rebuild-after`: how old an unchanged image may get before it is rebuilt for OS and package updates. */
export const DEFAULT_REBUILD_AFTER = '7d';

/** `status --max-age`: a nightly that is a few hours late is not yet stale. */
export const DEFAULT_MAX_AGE = '36h';

/** `clean --cache-max-age`. */
export const DEFAULT_CACHE_MAX_AGE = '24h';

/** `matrix --hosted-runner` and `--cgroup-v1-runner`. */
export const DEFAULT_HOSTED_RUNNER = 'ubuntu-24.04';
export const DEFAULT_CGROUP_V1_RUNNER = 'self-hosted,linux,x64,cgroup-v1';
export const DEFAULT_ARM_RUNNER = 'ubuntu-24.04-arm';
export const DEFAULT_ARM_CGROUP_V1_RUNNER = 'self-hosted,linux,arm64,cgroup-v1';
