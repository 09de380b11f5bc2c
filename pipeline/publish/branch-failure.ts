// BranchFailure lives in pipeline/errors.ts with every error class; kept so that branches merge.
export { BranchFailure } from '../errors.js';
