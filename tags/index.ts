export {
  branchVersion,
  compareBranches,
  DEFAULT_MIN_VERSION,
  isMesosBranch,
  parseMinVersion,
  RELEASE_BRANCH,
} from './branch-names.js';
export { computeTags, LATEST_BRANCH, LATEST_TAG, type TagInput } from './compute.js';
export { ageInDays, dayProblem, dayRangeProblem, OLD_DATE_DAYS, utcDay } from './date.js';
export {
  DOCKER_HUB,
  formatImageRef,
  formatRegistryTarget,
  imageRef,
  parseImageRef,
  parseRegistryTarget,
  tagProblem,
  type ImageRef,
  type RegistryTarget,
} from './reference.js';
export { mapTagSet, movingTags, pushOrder, type TagSet } from './tag-set.js';
