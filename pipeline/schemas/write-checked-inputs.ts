import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultImagesDir } from '../paths.js';
import { smokeSpecProblems } from '../smoke/spec.js';
import { checkedInputsUrl, checkedKey, type CheckedInputs } from '../family/checked-inputs.js';
import { loadFamily, type Family } from '../family/family.js';

// Run by `npm run build` after tsc: checks the embedded family with every check a run makes and
// records the digest of each input that passed, beside the compiled checked-inputs.js. See
// pipeline/family/checked-inputs.ts for why. A family with problems still builds; its failing inputs are simply
// not recorded, so a run reports them as it always did.

/** The record for the family in `dir`: every input of it that passes its check. */
export async function checkedInputsOf(dir: string): Promise<CheckedInputs> {
  const passed = new Set<string>();
  const nothingChecked = (): boolean => false;
  const family: Family | undefined = await loadFamily(dir, smokeSpecProblems, nothingChecked).catch(() => undefined);
  if (family) {
    // loadFamily found no problem: the whole family passed, each input by its own check.
    passed.add(checkedKey('images.json', await readFile(family.file, 'utf8')));
    for (const image of family.images) {
      const dockerfile = await readFile(image.dockerfile, 'utf8');
      passed.add(checkedKey(image.base === undefined ? 'Dockerfile' : 'Dockerfile of a child', dockerfile));
      passed.add(checkedKey(`smoke spec ${path.basename(image.smokeFile)}`, await readFile(image.smokeFile, 'utf8')));
    }
  }
  return { passed: [...passed].sort() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const record = await checkedInputsOf(defaultImagesDir());
  const out = fileURLToPath(checkedInputsUrl());
  await writeFile(out, `${JSON.stringify(record, null, 2)}\n`);
  process.stderr.write(
    record.passed.length > 0
      ? `${path.relative(process.cwd(), out)}: the embedded family passed its checks\n`
      : `${path.relative(process.cwd(), out)}: the embedded family has problems; runs will report them\n`,
  );
}
