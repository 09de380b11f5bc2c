import { dayProblem, utcDay } from '../../tags/index.js';
import { parseDatedTag } from './dated-tags.js';

/** A tag of a repository and the manifest digest it points at (undefined: it vanished). */
export interface TagDigest {
  tag: string;
  digest: string | undefined;
}

export interface DoomedTag {
  tag: string;
  /** The branch of a dated tag; undefined for a staging tag. */
  branch: string | undefined;
  day: string;
  digest: string;
  /** A kept tag points at the same manifest: only the tag may go, never the manifest. */
  shared: boolean;
}

export interface PrunePlan {
  /** The oldest day kept: dated tags of earlier days go. */
  cutoff: string;
  doomed: DoomedTag[];
  /** Every tag that stays, with its digest. */
  kept: TagDigest[];
}

export interface PruneRule {
  keepDays: number;
  now: Date;
  /** Only these branches' dated tags; empty means every branch. */
  branches: readonly string[];
}

// `stage-<UTC day>-…`: a platform's image a stage run (publish --stage) pushed for its assemble job.
const STAGING = /^stage-(\d{4}-\d{2}-\d{2})-/;

/**
 * Which tags of one repository go: dated tags whose UTC day is more than `keepDays` days before
 * the day of `now`, and staging tags of a day before yesterday (the assemble job deletes its own;
 * these are left by runs that were killed or cancelled, and no one pulls them), of any branch.
 * Floating, version and any other tags always stay, and so does every dated tag of a branch not
 * asked for.
 */
export function planPrune(tags: readonly TagDigest[], rule: PruneRule): PrunePlan {
  const cutoff = utcDay(new Date(rule.now.getTime() - rule.keepDays * 86_400_000));
  const yesterday = utcDay(new Date(rule.now.getTime() - 86_400_000));
  const doomed: Omit<DoomedTag, 'shared'>[] = [];
  const kept: TagDigest[] = [];
  for (const entry of tags) {
    const staging = STAGING.exec(entry.tag)?.[1];
    if (staging !== undefined && dayProblem(staging) === undefined && staging < yesterday) {
      if (entry.digest !== undefined)
        doomed.push({ tag: entry.tag, branch: undefined, day: staging, digest: entry.digest });
      continue;
    }
    const dated = parseDatedTag(entry.tag);
    const wanted = dated !== undefined && (rule.branches.length === 0 || rule.branches.includes(dated.branch));
    if (dated && wanted && dated.day < cutoff) {
      if (entry.digest !== undefined) doomed.push({ ...dated, digest: entry.digest });
    } else {
      kept.push(entry);
    }
  }
  const keptDigests = new Set(kept.map((entry) => entry.digest));
  return { cutoff, doomed: doomed.map((entry) => ({ ...entry, shared: keptDigests.has(entry.digest) })), kept };
}

/**
 * The digests that may be deleted as whole manifests: those only doomed tags point at, and that
 * no kept image index lists as one of its manifests (`protectedDigests`).
 */
export function exclusiveDigests(plan: PrunePlan, protectedDigests: ReadonlySet<string>): Set<string> {
  return new Set(
    plan.doomed.filter((entry) => !entry.shared && !protectedDigests.has(entry.digest)).map((entry) => entry.digest),
  );
}
