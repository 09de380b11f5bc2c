import { parseDatedTag, type DatedTag } from './dated-tags.js';

export type FreshnessState = 'ok' | 'stale' | 'missing';

export interface Freshness {
  branch: string;
  image: string;
  /** The newest dated tag not dated after today, if any. */
  newest?: DatedTag | undefined;
  /** From 00:00 UTC of the tag's day to now: an upper bound of the image's age. */
  ageMs?: number | undefined;
  state: FreshnessState;
}

/**
 * Per branch and image, the newest dated tag and how old it is. A tag's age counts from the start
 * of its UTC day, since the registry keeps no push time. Tags dated after today (a mistyped
 * `--date`) are ignored: they must not hide that the nightly stopped.
 */
export function assessFreshness(
  tagsByImage: ReadonlyMap<string, readonly string[]>,
  branches: readonly string[],
  now: Date,
  maxAgeMs: number,
): Freshness[] {
  const rows: Freshness[] = [];
  for (const branch of branches) {
    for (const [image, tags] of tagsByImage) {
      const dated = tags
        .map(parseDatedTag)
        .filter((tag): tag is DatedTag => tag !== undefined && tag.branch === branch)
        .map((tag) => ({ tag, ageMs: now.getTime() - Date.parse(`${tag.day}T00:00:00Z`) }))
        .filter((entry) => entry.ageMs >= 0)
        .sort((a, b) => a.ageMs - b.ageMs);
      const newest = dated[0];
      if (!newest) rows.push({ branch, image, state: 'missing' });
      else
        rows.push({
          branch,
          image,
          newest: newest.tag,
          ageMs: newest.ageMs,
          state: newest.ageMs > maxAgeMs ? 'stale' : 'ok',
        });
    }
  }
  return rows;
}
