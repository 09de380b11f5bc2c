import type { ArchiveEntry, PathStat } from '../ports.js';
import type { FileExistenceTest } from './spec-schema.js';

// Go's os.FileMode: the engine's path stat reports one, and c-s-t compares its String().
const GO_MODE_LETTERS = 'dalTLDpSugct?';
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK_BIT = 27;

function bit(mode: number, position: number): boolean {
  return Math.floor(mode / 2 ** position) % 2 === 1;
}

/** Go's os.FileMode.String(), as c-s-t prints and compares permissions: `drwxr-xr-x`, `urwxr-xr-x`. */
export function permissionString(mode: number): string {
  let out = '';
  for (const [index, letter] of [...GO_MODE_LETTERS].entries()) if (bit(mode, 31 - index)) out += letter;
  if (out === '') out = '-';
  const rwx = 'rwxrwxrwx';
  for (let index = 0; index < 9; index += 1) out += bit(mode, 8 - index) ? rwx[index] : '-';
  return out;
}

function typeOf(stat: PathStat): 'file' | 'directory' | 'symlink' {
  if (stat.mode >= MODE_DIR) return 'directory';
  if (bit(stat.mode, MODE_SYMLINK_BIT)) return 'symlink';
  return 'file';
}

const EXECUTE_BITS = { owner: 0o100, group: 0o010, other: 0o001, any: 0o111 } as const;

/** Whether the test asks who owns the path, which takes reading the path's archive entry. */
export function needsOwner(test: FileExistenceTest): boolean {
  return (test.shouldExist ?? true) && (test.uid !== undefined || test.gid !== undefined);
}

/**
 * Checks one fileExistenceTest against what the engine says about the path (undefined: missing)
 * and, when the test asks about ownership, the path's own archive entry.
 */
export function fileExistenceProblems(
  test: FileExistenceTest,
  stat: PathStat | undefined,
  owner?: Pick<ArchiveEntry, 'uid' | 'gid'>,
): string[] {
  const shouldExist = test.shouldExist ?? true;
  if (!stat) return shouldExist ? [`${test.path} does not exist`] : [];
  if (!shouldExist) return [`${test.path} exists but should not`];
  const problems: string[] = [];
  const permissions = permissionString(stat.mode);
  if (test.permissions && permissions !== test.permissions)
    problems.push(`${test.path} has permissions ${permissions}, expected ${test.permissions}`);
  if (test.isExecutableBy) {
    const bits = EXECUTE_BITS[test.isExecutableBy];
    if ((stat.mode & bits) === 0)
      problems.push(`${test.path} is not executable by ${test.isExecutableBy} (${permissions})`);
  }
  if (test.type && typeOf(stat) !== test.type)
    problems.push(`${test.path} is a ${typeOf(stat)}, expected a ${test.type}`);
  if (test.isDirectory !== undefined && (typeOf(stat) === 'directory') !== test.isDirectory)
    problems.push(`${test.path} is ${test.isDirectory ? 'not ' : ''}a directory (${permissions})`);
  if (needsOwner(test)) {
    if (!owner) problems.push(`the owner of ${test.path} could not be read`);
    else {
      if (test.uid !== undefined && owner.uid !== test.uid)
        problems.push(`${test.path} is owned by uid ${owner.uid}, expected ${test.uid}`);
      if (test.gid !== undefined && owner.gid !== test.gid)
        problems.push(`${test.path} has gid ${owner.gid}, expected ${test.gid}`);
    }
  }
  return problems;
}
