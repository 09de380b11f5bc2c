import { InputError } from '../pipeline/errors.js';
import { tagProblem } from './reference.js';

export interface TagInput {
  /** `master` or a release branch `N.N.x`. */
  branch: string;
  /** The run's UTC day, `YYYY-MM-DD`. */
  day: string;
  /** A release tag (`1.11.0`) when the branch head is exactly that tag. */
  versionTag?: string | undefined;
}

/**
 * The tags one image of one branch gets, in push order: the dated snapshot first, then the
 * floating branch tag, then the release version when the head is a release. An invalid tag is an
 * error, never rewritten into a valid one.
 */
export function computeTags(input: TagInput): string[] {
  const tags = [`${input.branch}-${input.day}`, input.branch];
  if (input.versionTag) tags.push(input.versionTag);
  for (const tag of tags) {
    const problem = tagProblem(tag);
    if (problem) throw new InputError(`branch "${input.branch}": ${problem}`);
  }
  return tags;
}
