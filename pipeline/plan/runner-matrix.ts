/** What a branch's service tests need of the host, as `plan --json` writes it per branch. */
export interface HostNeeds {
  /** The cgroup versions (1 and/or 2) on which the branch's service tests can run. */
  cgroupVersions: number[];
  privileged: boolean;
}

export interface RunnerLabels {
  /** A GitHub-hosted runner: cgroup v2 (every GitHub-hosted Linux runner is). */
  hosted: string[];
  /** A self-hosted runner whose host boots with cgroup v1. */
  cgroupV1: string[];
}

/** One job of the nightly's publish matrix: the branch, where it runs, and why. */
export interface MatrixEntry {
  branch: string;
  runner: string[];
  /** The cgroup version of the runner it goes to. */
  cgroup: 1 | 2;
}

export interface RoutedBranch {
  branch: string;
  host?: HostNeeds | undefined;
}

/**
 * The nightly's job matrix: each branch on a runner that can run its service tests. A branch whose
 * images run on cgroup v2 goes to a GitHub-hosted runner (fresh, free, four cores for public
 * repositories); only branches that need cgroup v1 (Mesos <= 1.11) go to the self-hosted one. A
 * branch without host needs (a plan from before they existed) goes where every branch used to:
 * the cgroup v1 runner.
 */
export function runnerMatrix(branches: readonly RoutedBranch[], labels: RunnerLabels): { include: MatrixEntry[] } {
  return {
    include: branches.map((branch) =>
      branch.host?.cgroupVersions.includes(2)
        ? { branch: branch.branch, runner: [...labels.hosted], cgroup: 2 }
        : { branch: branch.branch, runner: [...labels.cgroupV1], cgroup: 1 },
    ),
  };
}
