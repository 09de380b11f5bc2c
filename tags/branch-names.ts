// By function: semver's index loads every function and class it has.
import compare from 'semver/functions/compare.js';
import { InputError } from '../pipeline/errors.js';

/** The oldest release line the pipeline plans by default (`--min-version`). */
export const DEFAULT_MIN_VERSION = '1.7';

// Exactly N.N.x, no leading zeros: `1.7.x-rc`, `feature/1.8.x` and `01.7.x` are not release branches.
export const RELEASE_BRANCH = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.x$/;

/** `1.10.x` -> `1.10.0`, for numeric comparison with semver; undefined for other names. */
export function branchVersion(branch: string): string | undefined {
  const match = RELEASE_BRANCH.exec(branch);
  return match ? `${match[1]}.${match[2]}.0` : undefined;
}

/** master or any release branch N.N.x, the planner's rule (older ones too: their tags still need pruning). */
export function isMesosBranch(name: string): boolean {
  return name === 'master' || branchVersion(name) !== undefined;
}

/** Checks `--min-version` (`1.7`): returns the semver it stands for, or throws. */
export function parseMinVersion(text: string): string {
  const match = /^(0|[1-9]\d*)\.(0|[1-9]\d*)$/.exec(text);
  if (!match) throw new InputError(`--min-version "${text}" is not MAJOR.MINOR, for example ${DEFAULT_MIN_VERSION}`);
  return `${match[1]}.${match[2]}.0`;
}

/** Orders branch names: release branches by version numerically (1.9.x before 1.10.x), master last. */
export function compareBranches(a: string, b: string): number {
  const va = branchVersion(a);
  const vb = branchVersion(b);
  if (va && vb) return compare(va, vb);
  if (va) return -1;
  if (vb) return 1;
  return a.localeCompare(b);
}
