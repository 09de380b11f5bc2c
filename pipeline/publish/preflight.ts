import { unpinnedDownloads } from '../family/download-pins.js';
import type { Family } from '../family/family.js';
import { combineNeeds, imageNeeds } from '../family/host-needs.js';
import type { Plan } from '../plan/plan.js';
import type { HostFacts } from '../ports.js';

// Before `publish` builds anything (a Mesos compile takes an hour), it checks that this host can
// run every planned image's service tests and that every download a build makes is pinned. What
// is missing stops the run at once, in one line; what cannot be read from here is a warning.

export interface PreflightResult {
  /** Short phrases, joined into one line by the caller; empty when all is well. */
  problems: string[];
  warnings: string[];
}

function listOf(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** Groups branch names by a key (a need), keeping the plan's order. */
function byNeed(entries: readonly [string, string][]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const [need, branch] of entries) groups.set(need, [...(groups.get(need) ?? []), branch]);
  return groups;
}

export async function preflight(
  plan: Plan,
  family: Family,
  facts: HostFacts,
  dockerfileOf: (image: string) => Promise<string>,
): Promise<PreflightResult> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const needsOf = (branch: string) => combineNeeds(family.images.map((image) => imageNeeds(image.host, branch)));

  // cgroup version: the plan's own record of what each branch needs.
  const version = await facts.cgroupVersion();
  const wrongCgroup = plan.branches.filter(
    (branch) => version !== undefined && !branch.host.cgroupVersions.includes(version),
  );
  for (const [needs, branches] of byNeed(
    wrongCgroup.map((branch) => [branch.host.cgroupVersions.map((v) => `v${v}`).join(' or '), branch.branch]),
  ))
    problems.push(
      `${listOf(branches)} need${branches.length === 1 ? 's' : ''} cgroup ${needs} for ` +
        `${branches.length === 1 ? 'its' : 'their'} service tests and this host's containers get cgroup v${version}`,
    );
  if (version === undefined && plan.branches.some((branch) => branch.host.cgroupVersions.length < 2))
    warnings.push('cannot tell which cgroup version this host gives containers; not checked');

  const privilegedBranches = plan.branches.filter((branch) => branch.host.privileged).map((branch) => branch.branch);
  if (privilegedBranches.length > 0) {
    const privileged = await facts.privileged();
    if (privileged.status === 'no')
      problems.push(
        `${listOf(privilegedBranches)} need${privilegedBranches.length === 1 ? 's' : ''} a privileged ` +
          `container, and ${privileged.why}`,
      );
    else if (privileged.status === 'unknown')
      warnings.push(`cannot tell whether a privileged container can run here (${privileged.why}); not checked`);
  }

  const wanted = [...new Set(plan.branches.flatMap((branch) => needsOf(branch.branch).kernelModules))].sort();
  if (wanted.length > 0) {
    const { missing, unknown } = await facts.kernelModules(wanted);
    const needing = (module: string) =>
      plan.branches.filter((branch) => needsOf(branch.branch).kernelModules.includes(module)).map((b) => b.branch);
    for (const [branches, modules] of byNeed(missing.map((module) => [listOf(needing(module)), module])))
      problems.push(
        `${branches} need${branches.includes(' and ') ? '' : 's'} the kernel ` +
          `module${modules.length === 1 ? '' : 's'} ${listOf(modules)}, which this host lacks (neither ` +
          `loaded nor built in nor loadable)`,
      );
    if (unknown.length > 0)
      warnings.push(`cannot tell whether this host has the kernel modules ${listOf(unknown)}; not checked`);
  }

  // Pins: the Dockerfile's digests as this build gets them (ARG defaults, then the plan's args).
  const seen = new Set<string>();
  for (const branch of plan.branches) {
    for (const image of branch.images) {
      // Each platform's build: its own architecture's pins (TARGETARCH, as the builder sets it).
      const builds = (image.platforms ?? [undefined]).map((platform) => ({
        platform,
        args: platform ? { ...image.buildArgs, TARGETARCH: platform.split('/')[1] ?? '' } : image.buildArgs,
      }));
      for (const { platform, args } of builds)
        for (const problem of unpinnedDownloads(await dockerfileOf(image.name), args)) {
          const phrase =
            `${image.name}${platform && image.platforms?.length !== 1 ? ` (${platform})` : ''}: ` + `${problem}`;
          if (!seen.has(phrase)) problems.push(phrase);
          seen.add(phrase);
        }
    }
  }
  return { problems, warnings };
}

/** The one line `publish` stops with. */
export function preflightMessage(problems: readonly string[]): string {
  return `preflight: this host cannot publish the plan, nothing was built: ${problems.join('; ')}`;
}
