import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

// The embedded family (dockerfiles/) is checked when mesos-pipeline is built: `npm run build` runs
// the same checks a run would (pipeline/schemas/write-checked-inputs.ts) and records, next to the
// compiled code, a digest of every input that passed. A run that reads an input with a recorded
// digest knows its checks find nothing, because the checks and the record come from one build; it
// then loads neither zod nor dockerfile-ast, which are most of what `plan` used to spend before it
// did anything. Any other text, such as an edited file or another family, is checked in full.

/** What was checked: each kind stands for one check, run on the text alone. */
export type CheckedKind =
  /** images.json: valid JSON that familySchema accepts (its parsed value is then the file's JSON). */
  | 'images.json'
  /** A Dockerfile that dockerfileProblems(text, false) finds nothing in. */
  | 'Dockerfile'
  /** The same, for an image with a base: dockerfileProblems(text, true). */
  | 'Dockerfile of a child'
  /** smokeSpecProblems(name, text) finds nothing, for a file named smoke.json, smoke.yaml or smoke.yml. */
  | `smoke spec ${string}`;

/** The file the build writes beside the compiled family code. */
export const CHECKED_INPUTS_FILE = 'checked-inputs.json';

/** Where the build's record is: beside this module (in dist/; from the sources there is none). */
export const checkedInputsUrl = (): URL => new URL(`./${CHECKED_INPUTS_FILE}`, import.meta.url);

export interface CheckedInputs {
  /** `kind:sha256` of every input that passed its check at build time. */
  passed: string[];
}

export function checkedKey(kind: CheckedKind, text: string): string {
  return `${kind}:${createHash('sha256').update(text).digest('hex')}`;
}

/** Whether `text` passed the check of `kind`. */
export type PassedCheck = (kind: CheckedKind, text: string) => boolean;

/** Whether a check would find nothing in `text`, by a record like the build's. */
export function passedBy(record: CheckedInputs): PassedCheck {
  const passed = new Set(record.passed);
  return (kind, text) => passed.has(checkedKey(kind, text));
}

let atBuild: PassedCheck | undefined;

/**
 * The build's record, read once. Run from the sources (tests, tsc --watch) there is none, and
 * every input is checked.
 */
export const passedAtBuild: PassedCheck = (kind, text) => {
  if (!atBuild) {
    let record: CheckedInputs = { passed: [] };
    try {
      record = JSON.parse(readFileSync(checkedInputsUrl(), 'utf8')) as CheckedInputs;
    } catch {
      // No record: nothing is taken as checked.
    }
    atBuild = passedBy(record);
  }
  return atBuild(kind, text);
};
