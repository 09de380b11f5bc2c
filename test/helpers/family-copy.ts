import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fixtureFamily } from './paths.js';

/** `later` applied to what `first` made of each file: a family helper's own edits, then its caller's. */
export function thenEdits(
  first: Record<string, (text: string) => string>,
  later: Record<string, (text: string) => string>,
): Record<string, (text: string) => string> {
  const edits = { ...first };
  for (const [file, change] of Object.entries(later)) {
    const before = edits[file];
    edits[file] = before ? (text) => change(before(text)) : change;
  }
  return edits;
}

/** A private copy of the fixture family to break on purpose; `edit` maps file -> new content. */
export function copyFamily(edit: Record<string, (text: string) => string> = {}, source = fixtureFamily): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mp-family-'));
  cpSync(source, dir, { recursive: true });
  for (const [file, change] of Object.entries(edit)) {
    const full = path.join(dir, file);
    writeFileSync(full, change(readFileSync(full, 'utf8')));
  }
  return dir;
}
