import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA_CONFIG, SCHEMA_FILE, strykerRuns } from '../../scripts/mutate/runs.js';
import { repoRoot } from '../helpers/paths.js';

interface StrykerConfig {
  mutate: string[];
  vitest: { configFile: string };
  incrementalFile: string;
  jsonReporter: { fileName: string };
}
const config = (name: string): StrykerConfig =>
  JSON.parse(readFileSync(path.join(repoRoot, name), 'utf8')) as StrykerConfig;

describe('the two Stryker configs', () => {
  const main = config('stryker.config.json');
  const schema = config(SCHEMA_CONFIG);

  it('hold the schema in its own config only, and keep their results apart', () => {
    expect(schema.mutate).toEqual([SCHEMA_FILE]);
    expect(main.mutate).not.toContain(SCHEMA_FILE);
    expect(schema.vitest.configFile).toBe('test/vitest.mutate-schema.config.ts');
    expect(schema.incrementalFile).not.toBe(main.incrementalFile);
    expect(schema.jsonReporter.fileName).not.toBe(main.jsonReporter.fileName);
  });

  it('differ in nothing else (the schema config is a copy of the main one, kept in step)', () => {
    const rest = ({ mutate: _m, vitest, incrementalFile: _i, jsonReporter: _j, ...other }: StrykerConfig) => ({
      ...other,
      vitest: { ...vitest, configFile: undefined },
      htmlReporter: undefined,
    });
    expect(rest(schema)).toEqual(rest(main));
  });

  it('mutate the set issue 19 names, and nothing beside it', () => {
    expect([...main.mutate, ...schema.mutate].sort()).toEqual(
      [
        'tags/**/*.ts',
        'pipeline/plan/**/*.ts',
        'pipeline/smoke/spec.ts',
        'pipeline/smoke/spec-schema.ts',
        'pipeline/smoke/template.ts',
        'pipeline/smoke/output-checks.ts',
        'pipeline/smoke/predicates.ts',
        'pipeline/smoke/file-tests.ts',
        'pipeline/smoke/metadata-test.ts',
        'pipeline/retry.ts',
        'pipeline/redact.ts',
        'pipeline/adapters/json-stream.ts',
        'pipeline/publish/reuse.ts',
        'pipeline/publish/inputs.ts',
        'pipeline/publish/push.ts',
        'pipeline/family/**/*.ts',
      ].sort(),
    );
  });
});

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
