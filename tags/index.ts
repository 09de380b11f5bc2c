export { computeTags, type TagInput } from './compute.js';
export { ageInDays, dayProblem, utcDay } from './date.js';
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
