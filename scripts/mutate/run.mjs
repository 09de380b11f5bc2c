// `npm run mutate [stryker options]`: runs Stryker with each config of the mutated set in turn
// (scripts/mutate/runs.js says which), and fails when one of them fails.
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { strykerRuns } from './runs.js';

/**
 * @param {string[]} args
 * @returns {number} the exit code
 */
function main(args) {
  let runs;
  try {
    runs = strykerRuns(args);
  } catch (error) {
    process.stderr.write(`npm run mutate: ${error.message}\n`);
    return 2;
  }
  for (const run of runs) {
    const { status, error } = spawnSync('npx', ['stryker', 'run', ...run], { stdio: 'inherit' });
    if (error) throw error;
    if (status !== 0) return status ?? 1;
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
