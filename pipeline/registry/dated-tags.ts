import { dayProblem, isMesosBranch } from '../../tags/index.js';

/** A dated snapshot tag, `<branch>-YYYY-MM-DD`, taken apart. */
export interface DatedTag {
  tag: string;
  branch: string;
  day: string;
}

const DATED = /^(.+)-(\d{4}-\d{2}-\d{2})$/;

/**
 * The branch and day of a dated tag, or undefined for every other tag: floating (`1.11.x`),
 * version (`1.11.0`), `latest`, or anything that only looks dated (`1.11.x-2026-02-30`).
 */
export function parseDatedTag(tag: string): DatedTag | undefined {
  const match = DATED.exec(tag);
  if (!match) return undefined;
  const [, branch, day] = match as unknown as [string, string, string];
  if (!isMesosBranch(branch) || dayProblem(day) !== undefined) return undefined;
  return { tag, branch, day };
}
