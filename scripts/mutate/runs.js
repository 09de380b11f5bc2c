// Which Stryker runs `npm run mutate` makes, for its arguments. Two configs share the mutated set:
// stryker.schema.json holds pipeline/smoke/spec-schema.ts alone (its static mutants run against the
// schema's own tests, see test/vitest.mutate-schema.config.ts), stryker.config.json the rest.

export const SCHEMA_CONFIG = 'stryker.schema.json';
export const SCHEMA_FILE = 'pipeline/smoke/spec-schema.ts';

/**
 * Each run as the arguments after `stryker run`. `--mutate a,b` sends each file to its config.
 * @param {string[]} args
 * @returns {string[][]}
 */
export function strykerRuns(args) {
  const index = args.findIndex((arg) => arg === '--mutate' || arg === '-m' || arg.startsWith('--mutate='));
  if (index === -1) return [[...args], [SCHEMA_CONFIG, ...args]];
  const inline = args[index].startsWith('--mutate=');
  const list = inline ? args[index].slice('--mutate='.length) : args[index + 1];
  if (list === undefined || list === '') throw new Error('--mutate needs a comma-separated list of files');
  const rest = [...args.slice(0, index), ...args.slice(index + (inline ? 1 : 2))];
  const files = list.split(',').filter((file) => file !== '');
  // A file may carry a line range (`file.ts:10-20`). A glob is not expanded here: one that covers
  // the schema goes to the main config, which would run it against every unit test.
  const isSchema = (file) => file.split(':')[0] === SCHEMA_FILE;
  const schema = files.filter(isSchema);
  const others = files.filter((file) => !isSchema(file));
  const runs = [];
  if (others.length > 0) runs.push([...rest, '--mutate', others.join(',')]);
  if (schema.length > 0) runs.push([SCHEMA_CONFIG, ...rest, '--mutate', schema.join(',')]);
  return runs;
}
