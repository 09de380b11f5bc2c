/** What a branch's service tests need of the host, as `plan --json` writes it per branch. */
export interface HostNeeds {
  /** The cgroup versions (1 and/or 2) on which the branch's service tests can run. */
  cgroupVersions: number[];
  privileged: boolean;
}

export interface RunnerLabels {
  /** A GitHub-hosted amd64 runner: cgroup v2 (every GitHub-hosted Linux runner is). */
  hosted: string[];
  /** A self-hosted amd64 runner whose host boots with cgroup v1. */
  cgroupV1: string[];
  /** A GitHub-hosted arm64 runner (cgroup v2). */
  arm: string[];
  /** A self-hosted arm64 runner whose host boots with cgroup v1. */
  armCgroupV1: string[];
}

/** One job of the nightly's build matrix: the branch, the platform it builds, where it runs, and why. */
export interface MatrixEntry {
  branch: string;
  /** The platform this job builds and smoke-tests (linux/amd64, linux/arm64). */
  platform: string;
  /** Its architecture alone, for job and artifact names (`/` is not allowed in those). */
  arch: string;
  runner: string[];
  /** The cgroup version of the runner it goes to. */
  cgroup: 1 | 2;
}

export interface RoutedBranch {
  branch: string;
  host?: HostNeeds | undefined;
  /** The platforms its images are built for, each image's `platforms` (absent: linux/amd64). */
  images?: readonly { platforms?: readonly string[] | undefined }[] | undefined;
}

/** Architectures a runner exists for: each platform needs a runner of its own architecture. */
export const RUNNER_ARCHITECTURES = ['amd64', 'arm64'] as const;

/** The platforms a branch builds, in the order its images first name them; linux/amd64 when none declare any. */
export function branchPlatforms(branch: RoutedBranch): string[] {
  const platforms: string[] = [];
  for (const image of branch.images ?? [{}])
    for (const platform of image.platforms ?? ['linux/amd64'])
      if (!platforms.includes(platform)) platforms.push(platform);
  return platforms;
}

/** The architecture part of a platform: linux/arm64/v8 -> arm64. */
export const architectureOf = (platform: string): string => platform.split('/')[1] ?? '';

/**
 * The nightly's build matrix: one job per branch and platform, each on a runner of that platform's
 * architecture (no compile under emulation) that can run the branch's service tests. A branch
 * whose images run on cgroup v2 goes to a GitHub-hosted runner (fresh, free, four cores for public
 * repositories): `hosted` for amd64, `arm` for arm64; only branches that need cgroup v1 (Mesos <=
 * 1.11) go to a self-hosted one of the architecture. A branch without host needs (a plan from
 * before they existed) goes where every branch used to: the cgroup v1 runner. Throws for a
 * platform no runner architecture exists for.
 */
export function runnerMatrix(branches: readonly RoutedBranch[], labels: RunnerLabels): { include: MatrixEntry[] } {
  return {
    include: branches.flatMap((branch) =>
      branchPlatforms(branch).map((platform): MatrixEntry => {
        const arch = architectureOf(platform);
        const v2 = branch.host?.cgroupVersions.includes(2) ?? false;
        const runner =
          arch === 'amd64'
            ? v2
              ? labels.hosted
              : labels.cgroupV1
            : arch === 'arm64'
              ? v2
                ? labels.arm
                : labels.armCgroupV1
              : undefined;
        if (!runner)
          throw new RangeError(
            `${branch.branch}: no runner for ${platform}; runners exist for ${RUNNER_ARCHITECTURES.join(', ')}`,
          );
        return { branch: branch.branch, platform, arch, runner: [...runner], cgroup: v2 ? 2 : 1 };
      }),
    ),
  };
}
