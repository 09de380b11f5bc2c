import type { PathStat } from '../ports.js';
import type { FileExistenceTest } from './spec-schema.js';

// Go's os.FileMode type bits, which the engine's path stat reports.
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;

/** `drwxr-xr-x`, like `ls -l` and container-structure-test. */
export function permissionString(mode: number): string {
  const type = mode >= MODE_DIR ? 'd' : Math.floor(mode / MODE_SYMLINK) % 2 === 1 ? 'L' : '-';
  const bits = mode % 0o1000;
  const rwx = ['r', 'w', 'x'];
  let out = type;
  for (let shift = 8; shift >= 0; shift -= 1) out += (bits >> shift) & 1 ? rwx[(8 - shift) % 3] : '-';
  return out;
}

function typeOf(stat: PathStat): 'file' | 'directory' | 'symlink' {
  if (stat.mode >= MODE_DIR) return 'directory';
  if (Math.floor(stat.mode / MODE_SYMLINK) % 2 === 1) return 'symlink';
  return 'file';
}

const EXECUTE_BITS = { owner: 0o100, group: 0o010, other: 0o001, any: 0o111 } as const;

/** Checks one fileExistenceTest against what the engine says about the path (undefined: missing). */
export function fileExistenceProblems(test: FileExistenceTest, stat: PathStat | undefined): string[] {
  const shouldExist = test.shouldExist ?? true;
  if (!stat) return shouldExist ? [`${test.path} does not exist`] : [];
  if (!shouldExist) return [`${test.path} exists but should not`];
  const problems: string[] = [];
  const permissions = permissionString(stat.mode);
  if (test.permissions && permissions !== test.permissions)
    problems.push(`${test.path} has permissions ${permissions}, expected ${test.permissions}`);
  if (test.isExecutableBy) {
    const bits = EXECUTE_BITS[test.isExecutableBy];
    const executable = test.isExecutableBy === 'any' ? (stat.mode & bits) !== 0 : (stat.mode & bits) === bits;
    if (!executable) problems.push(`${test.path} is not executable by ${test.isExecutableBy} (${permissions})`);
  }
  if (test.type && typeOf(stat) !== test.type)
    problems.push(`${test.path} is a ${typeOf(stat)}, expected a ${test.type}`);
  return problems;
}
