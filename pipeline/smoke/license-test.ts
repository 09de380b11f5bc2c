import path from 'node:path';
import type { ArchiveEntry } from '../ports.js';

// container-structure-test's licenseTests: copyright files must not name a license from its
// list of refused ones; `debian: true` checks every package folder under /usr/share/doc.

export const DEBIAN_DOC_ROOT = '/usr/share/doc';
/** Words that fail a copyright file that contains them, in any case: c-s-t's list. */
export const REFUSED_LICENSES = ['AGPL', 'WTFPL'];
/** Packages c-s-t lets pass whatever their copyright file says. */
export const EXEMPT_PACKAGES = ['libgnutls30'];

/** The problem with one copyright file's text, if any. */
export function licenseTextProblems(file: string, content: Buffer | undefined): string[] {
  if (content === undefined) return [`${file} does not exist`];
  const upper = content.toString('utf8').toUpperCase();
  return REFUSED_LICENSES.filter((word) => upper.includes(word)).map(
    (word) => `${file} names a refused license: it contains ${word}`,
  );
}

/** A copyright file found under the Debian doc root: its path, and its text or where it links to. */
export interface DebianCopyright {
  pkg: string;
  file: string;
  content?: Buffer;
  /** The absolute path a symlinked copyright file points at. */
  linkTarget?: string;
}

/**
 * The package folders of /usr/share/doc and their copyright files, from the archive of the
 * folder (entries `doc/PKG/` and `doc/PKG/copyright`). Packages whose folder is a symlink are
 * skipped, as c-s-t skips them. A package without a copyright file comes back without content.
 */
export function debianCopyrights(entries: readonly ArchiveEntry[]): DebianCopyright[] {
  const base = path.posix.basename(DEBIAN_DOC_ROOT);
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const out: DebianCopyright[] = [];
  for (const entry of entries) {
    const match = new RegExp(`^${base}/([^/]+)/$`).exec(entry.name);
    if (!match || entry.type !== 'directory') continue;
    const pkg = match[1] as string;
    if (EXEMPT_PACKAGES.includes(pkg)) continue;
    const file = `${DEBIAN_DOC_ROOT}/${pkg}/copyright`;
    const copyright = byName.get(`${base}/${pkg}/copyright`);
    if (copyright?.type === 'symlink' && copyright.linkTarget !== undefined)
      out.push({ pkg, file, linkTarget: path.posix.resolve(`${DEBIAN_DOC_ROOT}/${pkg}`, copyright.linkTarget) });
    else out.push({ pkg, file, ...(copyright?.content ? { content: copyright.content } : {}) });
  }
  return out;
}
