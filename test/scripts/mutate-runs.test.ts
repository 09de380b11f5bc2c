import { describe, expect, it } from 'vitest';
import { strykerRuns } from '../../scripts/mutate/runs.js';

describe('strykerRuns: the Stryker runs npm run mutate makes', () => {
  it.each([
    { args: [], runs: [[], ['stryker.schema.json']] },
    { args: ['--force'], runs: [['--force'], ['stryker.schema.json', '--force']] },
    {
      args: ['--mutate', 'pipeline/redact.ts,tags/reference.ts'],
      runs: [['--mutate', 'pipeline/redact.ts,tags/reference.ts']],
    },
    {
      args: ['--force', '--mutate=pipeline/smoke/spec-schema.ts:10-40'],
      runs: [['stryker.schema.json', '--force', '--mutate', 'pipeline/smoke/spec-schema.ts:10-40']],
    },
    {
      args: ['-m', 'pipeline/smoke/spec.ts,pipeline/smoke/spec-schema.ts', '--concurrency', '1'],
      runs: [
        ['--concurrency', '1', '--mutate', 'pipeline/smoke/spec.ts'],
        ['stryker.schema.json', '--concurrency', '1', '--mutate', 'pipeline/smoke/spec-schema.ts'],
      ],
    },
  ])('$args', ({ args, runs }) => {
    expect(strykerRuns(args)).toEqual(runs);
  });

  it('refuses --mutate without files', () => {
    expect(() => strykerRuns(['--mutate'])).toThrow('--mutate needs a comma-separated list of files');
    expect(() => strykerRuns(['--mutate='])).toThrow('--mutate needs');
  });
});
