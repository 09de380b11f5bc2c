// One module per function: semver's index loads every function and class it has.
import gte from 'semver/functions/gte.js';
import lt from 'semver/functions/lt.js';
import major from 'semver/functions/major.js';
import minor from 'semver/functions/minor.js';
import rcompare from 'semver/functions/rcompare.js';
import { InputError } from '../errors.js';
import type { RemoteRefs } from '../ports.js';
import { branchVersion, compareBranches } from '../../tags/index.js';

export interface EligibleBranch {
  branch: string;
  sha: string;
  /** `1.11.0` when the head of a release branch is exactly that release tag. */
  releaseTag?: string | undefined;
}

const RELEASE_TAG = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/** The release tag at `sha` that belongs to `branch` (1.11.0 on 1.11.x), the highest if several. */
export function releaseTagAt(branch: string, sha: string, tags: ReadonlyMap<string, string>): string | undefined {
  const line = branchVersion(branch);
  if (!line) return undefined;
  const candidates = [...tags]
    .filter(([name, target]) => target === sha && RELEASE_TAG.test(name))
    .map(([name]) => name)
    .filter((name) => major(name) === major(line) && minor(name) === minor(line));
  return candidates.sort(rcompare)[0];
}

/** `master` and every `N.N.x` at or above the minimum version, sorted, each with its exact sha. */
export function eligibleBranches(refs: RemoteRefs, minVersion: string): EligibleBranch[] {
  const names = [...refs.heads.keys()].filter((name) => {
    if (name === 'master') return true;
    const version = branchVersion(name);
    return version !== undefined && gte(version, minVersion);
  });
  return names.sort(compareBranches).map((branch) => {
    const sha = refs.heads.get(branch) as string;
    return { branch, sha, releaseTag: releaseTagAt(branch, sha, refs.tags) };
  });
}

/**
 * The branches to plan. With no request, all eligible ones. A requested name that is not eligible
 * or not in the repository is an error that lists the eligible branches: never a silent fallback
 * to master (MESOS-9590).
 */
export function selectBranches(
  eligible: readonly EligibleBranch[],
  requested: readonly string[],
  repo: string,
  minVersion: string,
): EligibleBranch[] {
  if (requested.length === 0) return [...eligible];
  const names = eligible.map((b) => b.branch);
  const list = names.length > 0 ? names.join(', ') : '(none)';
  const minimum = minVersion.replace(/\.0$/, '');
  for (const name of requested) {
    if (names.includes(name)) continue;
    const version = branchVersion(name);
    let why: string;
    if (version && lt(version, minVersion)) why = `is older than the oldest supported release branch ${minimum}.x`;
    else if (version || name === 'master') why = `is not a branch of ${repo}`;
    else why = `is not master or a release branch named N.N.x (${minimum}.x or later)`;
    throw new InputError(`--branch "${name}" ${why}; eligible branches: ${list}`);
  }
  return eligible.filter((b) => requested.includes(b.branch));
}
