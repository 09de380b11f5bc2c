import { compareBranches } from '../../tags/index.js';
import { TIME_LIMIT_STEP, type BranchReport, type RunReport } from '../publish/report.js';

/** What became of one branch in a run: its report entry, or no report at all. */
export type Outcome =
  | { kind: 'reported'; branch: string; run: RunReport; report: BranchReport }
  /** A branch the run planned but no report covers: its job died before writing one. */
  | { kind: 'missing'; branch: string };

/** Failed, interrupted or unreported: the nightly did not publish the branch. */
export function isFailing(outcome: Outcome): boolean {
  return outcome.kind === 'missing' || outcome.report.status === 'failed' || outcome.report.status === 'interrupted';
}

/** Stopped by the run's time limit: it ran out of time, nothing in it failed. */
export function isCutOffByTime(outcome: Outcome): boolean {
  return (
    outcome.kind === 'reported' &&
    outcome.report.status === 'interrupted' &&
    outcome.report.failure?.step === TIME_LIMIT_STEP
  );
}

/** Published, or unchanged and re-tagged: the branch's images are current again. */
export function isPublished(outcome: Outcome): boolean {
  return (
    outcome.kind === 'reported' && (outcome.report.status === 'published' || outcome.report.status === 'unchanged')
  );
}

/**
 * One outcome per branch, in branch order. A branch covered by several reports (a re-run job)
 * takes the one that finished last; an expected branch no report covers is `missing`.
 */
export function gatherOutcomes(reports: readonly RunReport[], expected: readonly string[] = []): Outcome[] {
  const byBranch = new Map<string, Outcome>();
  for (const run of reports) {
    for (const report of run.branches) {
      const earlier = byBranch.get(report.branch);
      if (earlier?.kind === 'reported' && earlier.run.finishedAt > run.finishedAt) continue;
      byBranch.set(report.branch, { kind: 'reported', branch: report.branch, run, report });
    }
  }
  for (const branch of expected) {
    if (!byBranch.has(branch)) byBranch.set(branch, { kind: 'missing', branch });
  }
  return [...byBranch.values()].sort((a, b) => compareBranches(a.branch, b.branch));
}

/** Why a failing branch failed, whichever way it failed. */
export interface FailureDetails {
  step: string;
  image?: string | undefined;
  message: string;
  tests: string[];
  logTail: string[];
}

export function failureOf(outcome: Outcome): FailureDetails {
  if (outcome.kind === 'missing') {
    return {
      step: 'report',
      message:
        'no run report: the publish job of this branch ended before writing one: cancelled, killed at its ' +
        'timeout-minutes (past its --time-limit), or its runner was lost; see its log in the run',
      tests: [],
      logTail: [],
    };
  }
  const failure = outcome.report.failure;
  const smokeTail = outcome.report.images
    .flatMap((image) => image.smoke ?? [])
    .find((test) => !test.ok && test.logTail?.length)?.logTail;
  return {
    step: failure?.step ?? outcome.report.status,
    image: failure?.image,
    message: failure?.message ?? `${outcome.report.status} without a recorded cause`,
    tests: failure?.tests ?? [],
    logTail: failure?.logTail ?? smokeTail ?? [],
  };
}
