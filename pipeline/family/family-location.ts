import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../paths.js';

// Where a family folder is, said so that it holds on another machine (plan/plan-paths.ts):
// the plan job names it, each publish job finds it again in its own checkout.

/** `imagesDir` of the family embedded in mesos-pipeline: resolved against the applying package. */
export const PACKAGE_PREFIX = 'package:';

/** The nearest folder at or above `dir` holding `.git` (a folder, or a file in a worktree). */
export function repositoryRoot(dir: string): string | undefined {
  let current = path.resolve(dir);
  for (;;) {
    if (existsSync(path.join(current, '.git'))) return current;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

function real(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

const posix = (relative: string): string => relative.split(path.sep).join('/');

function inside(root: string, dir: string): string | undefined {
  const relative = path.relative(root, dir);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return posix(relative);
}

/**
 * How a plan names the family folder: `package:dockerfiles` for the family embedded in this
 * package (any folder inside the package: the applying mesos-pipeline has its own copy), else the
 * folder relative to the root of its git repository, else (outside any repository) its absolute
 * path, which applies only where that path exists.
 */
export function portableImagesDir(familyDir: string): string {
  const dir = real(familyDir);
  const inPackage = inside(real(packageRoot()), dir);
  if (inPackage !== undefined) return `${PACKAGE_PREFIX}${inPackage}`;
  const root = repositoryRoot(dir);
  return (root ? inside(real(root), dir) : undefined) ?? dir;
}

/** Where `imagesDir` of a plan is on this machine, and how that was worked out (for messages). */
export function resolveImagesDir(imagesDir: string, cwd: string): { dir: string; from: string } {
  if (imagesDir.startsWith(PACKAGE_PREFIX)) {
    const root = packageRoot();
    return {
      dir: path.resolve(root, imagesDir.slice(PACKAGE_PREFIX.length)),
      from: `the family embedded in mesos-pipeline at ${root}`,
    };
  }
  if (path.isAbsolute(imagesDir)) return { dir: imagesDir, from: 'an absolute path' };
  const root = repositoryRoot(cwd);
  if (root) return { dir: path.resolve(root, imagesDir), from: `relative to the repository root ${root}` };
  return { dir: path.resolve(cwd, imagesDir), from: `relative to ${cwd}, which is in no git repository` };
}
