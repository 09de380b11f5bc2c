import { WorkError } from '../errors.js';

/** Thrown inside a branch's stages to stop it with a reportable failure: the step, the image, why. */
export class BranchFailure extends WorkError {
  readonly image: string | undefined;
  readonly tests: string[] | undefined;
  readonly logTail: string[] | undefined;
  constructor(
    step: string,
    image: string | undefined,
    message: string,
    extra: { tests?: string[]; logTail?: string[]; cause?: unknown } = {},
  ) {
    super(step, message, { cause: extra.cause });
    this.image = image;
    this.tests = extra.tests;
    this.logTail = extra.logTail;
  }
}
