import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../pipeline/errors.js';
import {
  CHECKED_INPUTS_FILE,
  checkedInputsUrl,
  checkedKey,
  passedAtBuild,
  passedBy,
} from '../../../pipeline/family/checked-inputs.js';
import { familySchema } from '../../../pipeline/family/family-schema.js';
import { loadFamily } from '../../../pipeline/family/family.js';
import { checkedInputsOf } from '../../../pipeline/schemas/write-checked-inputs.js';
import { defaultImagesDir } from '../../../pipeline/paths.js';
import { smokeSpecProblems } from '../../../pipeline/smoke/spec.js';
import { repoRoot } from '../../helpers/paths.js';
import { writeTree } from '../../helpers/temp-files.js';

// `npm run build` records the embedded family's inputs that pass their checks; a run skips the
// check of a recorded text (and so loads neither zod nor dockerfile-ast for it). These tests pin
// that a record is exact: only the very text that passed is skipped, everything else is checked.

const BASE_DOCKERFILE = 'FROM mesos-pipeline/busybox:static\n';
const CHILD_DOCKERFILE = 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n';
const SMOKE = '{"commandTests":[{"name":"true","command":["true"]}]}';
const IMAGES = {
  images: [
    { name: 'base', context: 'base' },
    { name: 'child', context: 'child', base: 'base' },
  ],
};

function family(extra: Record<string, string> = {}): string {
  return writeTree({
    'images.json': JSON.stringify(IMAGES),
    'base/Dockerfile': BASE_DOCKERFILE,
    'base/smoke.json': SMOKE,
    'child/Dockerfile': CHILD_DOCKERFILE,
    'child/smoke.yaml': 'commandTests:\n  - name: "true"\n    command: ["true"]\n',
    ...extra,
  });
}

async function problemsOf(load: Promise<unknown>): Promise<readonly string[]> {
  try {
    await load;
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('the record of checked inputs', () => {
  it('holds every input of a family that passes, each under its own check', async () => {
    const record = await checkedInputsOf(family());
    expect(record.passed).toEqual(
      [
        checkedKey('images.json', JSON.stringify(IMAGES)),
        checkedKey('Dockerfile', BASE_DOCKERFILE),
        checkedKey('Dockerfile of a child', CHILD_DOCKERFILE),
        checkedKey('smoke spec smoke.json', SMOKE),
        checkedKey('smoke spec smoke.yaml', 'commandTests:\n  - name: "true"\n    command: ["true"]\n'),
      ].sort(),
    );
  });

  it('is empty for a family with a problem, so a run reports it as before', async () => {
    expect((await checkedInputsOf(family({ 'child/Dockerfile': BASE_DOCKERFILE }))).passed).toEqual([]);
  });

  it('holds the embedded family, so a plan of it loads no checks (the build writes this record)', async () => {
    const record = await checkedInputsOf(defaultImagesDir());
    const kinds = record.passed.map((key) => key.slice(0, key.lastIndexOf(':'))).sort();
    expect(kinds).toEqual([
      'Dockerfile',
      'Dockerfile of a child',
      'images.json',
      'smoke spec smoke.json',
      'smoke spec smoke.json',
    ]);
  });

  it('is not there when running from the sources: tests check every input', () => {
    expect(existsSync(path.join(repoRoot, 'pipeline/family', CHECKED_INPUTS_FILE))).toBe(false);
    expect(passedAtBuild('Dockerfile', BASE_DOCKERFILE)).toBe(false);
  });

  it('is read from beside the family code, where the build writes it (dist/pipeline/family/ in a build)', () => {
    expect(fileURLToPath(checkedInputsUrl())).toBe(path.join(repoRoot, 'pipeline/family', CHECKED_INPUTS_FILE));
  });
});

describe('loadFamily with a record', () => {
  it('does not check a recorded text: it takes the record at its word', async () => {
    // A record that (wrongly) lists a child Dockerfile without BASE_IMAGE shows the check is skipped.
    const dir = family({ 'child/Dockerfile': BASE_DOCKERFILE });
    const passed = passedBy({ passed: [checkedKey('Dockerfile of a child', BASE_DOCKERFILE)] });
    expect(await problemsOf(loadFamily(dir, smokeSpecProblems, passed))).toEqual([]);
    expect(await problemsOf(loadFamily(dir, smokeSpecProblems, passedBy({ passed: [] })))).toEqual([
      expect.stringMatching(
        /^child\/Dockerfile: the image has a base, so the Dockerfile must declare `ARG BASE_IMAGE`/,
      ),
      expect.stringMatching(/^child\/Dockerfile: the image has a base, so the Dockerfile must build FROM/),
    ]);
  });

  it('calls no smoke validator for recorded specs and loads the same family as a full check', async () => {
    const dir = family();
    const record = await checkedInputsOf(dir);
    const validate = vi.fn(smokeSpecProblems);
    const fast = await loadFamily(dir, validate, passedBy(record));
    expect(validate).not.toHaveBeenCalled();
    expect(fast).toEqual(await loadFamily(dir, smokeSpecProblems, passedBy({ passed: [] })));
  });

  it('checks a text that differs from the recorded one by a byte', async () => {
    const dir = family();
    const record = await checkedInputsOf(dir);
    writeFileSync(path.join(dir, 'base/smoke.json'), `${SMOKE} `);
    writeFileSync(path.join(dir, 'images.json'), JSON.stringify({ ...IMAGES, extra: 1 }));
    const validate = vi.fn(smokeSpecProblems);
    expect(await problemsOf(loadFamily(dir, validate, passedBy(record)))).toEqual([
      expect.stringMatching(/^\(top level\): Unrecognized key: "extra"/),
    ]);
    writeFileSync(path.join(dir, 'images.json'), JSON.stringify(IMAGES));
    await loadFamily(dir, validate, passedBy(record));
    expect(validate).toHaveBeenCalledTimes(1);
    expect(validate).toHaveBeenCalledWith('base/smoke.json', `${SMOKE} `);
  });

  it('a Dockerfile recorded for an image without a base is checked again for a child', async () => {
    const dir = family({ 'child/Dockerfile': BASE_DOCKERFILE });
    const passed = passedBy({ passed: [checkedKey('Dockerfile', BASE_DOCKERFILE)] });
    expect(await problemsOf(loadFamily(dir, smokeSpecProblems, passed))).toHaveLength(2);
  });

  it('the embedded images.json read without zod is the value zod would give', () => {
    const text = readFileSync(path.join(defaultImagesDir(), 'images.json'), 'utf8');
    expect(JSON.parse(text)).toEqual(familySchema.parse(JSON.parse(text)));
  });
});
