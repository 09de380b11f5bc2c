import { InputError } from '../pipeline/errors.js';
import { tagProblem } from './reference.js';
import { pushOrder, type TagSet } from './tag-set.js';

export interface TagInput {
  /** `master` or a release branch `N.N.x`. */
  branch: string;
  /** The run's UTC day, `YYYY-MM-DD`. */
  day: string;
  /** A release tag (`1.11.0`) when the branch head is exactly that tag. */
  versionTag?: string | undefined;
}

/** `latest` follows master: `docker run mesos/mesos-mini`, the announcement's command, pulls it. */
export const LATEST_TAG = 'latest';
export const LATEST_BRANCH = 'master';

/**
 * The tags one image of one branch gets: the dated snapshot, the floating branch tag, the release
 * version when the head is a release, and `latest` for master. An invalid tag is an error, never
 * rewritten into a valid one.
 */
export function computeTags(input: TagInput): TagSet {
  const tags: TagSet = {
    dated: `${input.branch}-${input.day}`,
    floating: input.branch,
    ...(input.versionTag ? { version: input.versionTag } : {}),
    ...(input.branch === LATEST_BRANCH ? { also: [LATEST_TAG] } : {}),
  };
  for (const tag of pushOrder(tags)) {
    const problem = tagProblem(tag);
    if (problem) throw new InputError(`branch "${input.branch}": ${problem}`);
  }
  return tags;
}
