import type { HostDeclaration } from './family-schema.js';

// What a host must offer to run the service tests of an image, declared in images.json per image
// with per-branch overrides, and combined per planned branch. The nightly routes each branch to a
// runner that has it; `publish` checks it before building anything.

export type CgroupVersion = 1 | 2;

export interface HostNeeds {
  /** The cgroup versions on which the service tests can run (either one will do). */
  cgroupVersions: CgroupVersion[];
  /** Whether they need a privileged container. */
  privileged: boolean;
  /** Kernel modules the host must have (loaded, built in or loadable), e.g. for Docker in Docker. */
  kernelModules: string[];
}

/** What a planned branch needs of a host: the contract `plan --json` carries per branch. */
export interface BranchHost {
  cgroupVersions: CgroupVersion[];
  privileged: boolean;
}

/** An image that declares nothing runs anywhere. */
export const ANY_HOST: HostNeeds = { cgroupVersions: [1, 2], privileged: false, kernelModules: [] };

/** The needs of one image for one branch: the image's declaration, then the branch's override. */
export function imageNeeds(declared: HostDeclaration | undefined, branch: string): HostNeeds {
  const override = declared?.branches?.[branch];
  return {
    cgroupVersions: [...(override?.cgroupVersions ?? declared?.cgroupVersions ?? ANY_HOST.cgroupVersions)].sort(),
    privileged: override?.privileged ?? declared?.privileged ?? false,
    kernelModules: [...new Set(override?.kernelModules ?? declared?.kernelModules ?? [])].sort(),
  };
}

/** What a host needs to run the service tests of several images: all of it at once. */
export function combineNeeds(needs: readonly HostNeeds[]): HostNeeds {
  return {
    cgroupVersions: ANY_HOST.cgroupVersions.filter((version) =>
      needs.every((need) => need.cgroupVersions.includes(version)),
    ),
    privileged: needs.some((need) => need.privileged),
    kernelModules: [...new Set(needs.flatMap((need) => need.kernelModules))].sort(),
  };
}

export function branchHost(needs: HostNeeds): BranchHost {
  return { cgroupVersions: needs.cgroupVersions, privileged: needs.privileged };
}

/** `cgroup v1, privileged`, `cgroup v1 or v2`: for the plan table and messages. */
export function describeHost(host: BranchHost): string {
  const cgroups =
    host.cgroupVersions.length === ANY_HOST.cgroupVersions.length
      ? 'cgroup v1 or v2'
      : `cgroup ${host.cgroupVersions.map((version) => `v${version}`).join(' or ')}`;
  return host.privileged ? `${cgroups}, privileged` : cgroups;
}
