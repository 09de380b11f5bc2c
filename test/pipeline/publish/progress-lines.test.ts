import { describe, expect, it } from 'vitest';
import { publish } from '../../../pipeline/publish/publish.js';
import { fakeRun, planOf, PUSH, sha } from '../../helpers/fake-run.js';

// What a default publish prints: one line per stage per image (decide, build, smoke, push, tag)
// and one per branch; the engine's own output (`Step N/M`) and each passing test only with -v.

const master = { branch: 'master', sha: sha(1) };

function linesOf(text: string, subject: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`[${subject}] `));
}

describe('publish progress on stderr', () => {
  it('by default: one line per stage per image, no engine steps, no passing tests one by one', async () => {
    const run = fakeRun();
    await publish(planOf([master]), run.deps, PUSH, run.shared, 'run-1');

    expect(run.stderr.text).not.toMatch(/Step \d+\/\d+/);
    for (const image of ['base', 'app']) {
      const lines = linesOf(run.stderr.text, `${image}@master`);
      expect(lines.map((line) => line.replace(/^\[[^\]]+\] /, '').split(/[ :]/)[0])).toEqual([
        'rebuilding',
        'building',
        'smoke',
        'pushed',
        'tagged',
      ]);
      expect(lines[4]).toMatch(
        new RegExp(`tagged memory\\.test/ns/${image}:master, memory\\.test/ns/${image}:latest$`),
      );
    }
    expect(linesOf(run.stderr.text, 'master')).toEqual([expect.stringMatching(/^\[master\] published in /)]);
  });

  it('with -v: the engine steps and every test as well', async () => {
    const run = fakeRun({ verbose: true });
    await publish(planOf([master]), run.deps, PUSH, run.shared, 'run-1');

    const base = linesOf(run.stderr.text, 'base@master');
    expect(base).toEqual(
      expect.arrayContaining([
        '[base@master]   Step 1/2 : FROM scratch',
        '[base@master]   Step 2/2 : COPY . /',
        expect.stringMatching(/^\[base@master\] {3}ok {3}command test "built from the planned commit"/),
        expect.stringMatching(/^\[base@master\] debug: built sha256:/),
      ]),
    );
  });
});
