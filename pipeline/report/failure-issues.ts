import { errorMessage, WorkError } from '../errors.js';
import type { Logger } from '../log.js';
import type { IssueTracker } from './issue-tracker.js';
import { clip, code, codeBlock } from './markdown.js';
import { failureOf, isFailing, isPublished, type Outcome } from './outcomes.js';

// GitHub refuses bodies above 65536 characters.
const BODY_CHARS = 60_000;
const MESSAGE_CHARS = 8000;
const TAIL_LINES = 60;
const LINE_CHARS = 500;

export function issueTitle(branch: string): string {
  return `Nightly image build failing: ${branch}`;
}

export interface IssueContext {
  /** The workflow run that produced the reports, when known. */
  runUrl?: string | undefined;
  /** Applied to every body before it leaves the process. */
  redact: (text: string) => string;
}

function runLine(outcome: Outcome, context: IssueContext): string {
  const date = outcome.kind === 'reported' ? `on ${outcome.run.date} ` : '';
  return context.runUrl ? `${date}in ${context.runUrl}` : `${date}(run URL unknown: GITHUB_RUN_ID not set)`.trim();
}

/** The failing step, message, tests and log tail of a failing branch, as Markdown. */
export function failureText(outcome: Outcome, context: IssueContext): string {
  const failure = failureOf(outcome);
  const facts = [`| Failing step | ${code(failure.step)}${failure.image ? ` (${failure.image})` : ''} |`];
  if (outcome.kind === 'reported') {
    facts.push(
      `| Status | ${outcome.report.status} |`,
      `| Commit | ${code(outcome.report.sha)} |`,
      `| Date | ${outcome.run.date} |`,
      `| Registry | ${code(outcome.run.registry)} |`,
    );
  }
  facts.push(`| Run | ${context.runUrl ?? 'unknown (GITHUB_RUN_ID not set)'} |`);
  const parts = [
    `| | |\n|---|---|\n${facts.join('\n')}`,
    `**Message**\n\n${codeBlock(clip(failure.message, MESSAGE_CHARS))}`,
  ];
  if (failure.tests.length > 0) parts.push(`**Failing tests:** ${failure.tests.map(code).join(', ')}`);
  if (failure.logTail.length > 0) {
    const lines = failure.logTail.slice(-TAIL_LINES).map((line) => clip(line, LINE_CHARS));
    parts.push(`**Log tail** (last ${lines.length} lines)\n\n${codeBlock(lines.join('\n'))}`);
  }
  return parts.join('\n\n');
}

function finish(text: string, context: IssueContext): string {
  return clip(context.redact(text), BODY_CHARS);
}

export function openingBody(outcome: Outcome, context: IssueContext): string {
  return finish(
    [
      `The nightly build of the Mesos images for ${code(outcome.branch)} failed ${runLine(outcome, context)}.`,
      failureText(outcome, context),
      `_Opened by mesos-pipeline. Every further failing run comments here; the issue is closed when ` +
        `${code(outcome.branch)} publishes again._`,
    ].join('\n\n'),
    context,
  );
}

export function stillFailingBody(outcome: Outcome, context: IssueContext): string {
  return finish([`Still failing ${runLine(outcome, context)}.`, failureText(outcome, context)].join('\n\n'), context);
}

export function recoveredBody(outcome: Outcome, context: IssueContext): string {
  const detail = outcome.kind === 'reported' ? ` (${outcome.report.status}, commit ${code(outcome.report.sha)})` : '';
  return finish(`${code(outcome.branch)} published again${detail} ${runLine(outcome, context)}. Closing.`, context);
}

export interface IssueChange {
  branch: string;
  action: 'opened' | 'commented' | 'closed';
  issue: number;
  url: string;
}

/**
 * Keeps one open issue per failing branch: opens it on the first failure, comments on it while
 * the branch keeps failing, closes it with a comment once the branch is published (or re-tagged
 * unchanged) again. Branches that were only tested change nothing. One branch's GitHub error does
 * not stop the others; all of them are raised together at the end.
 */
export async function syncFailureIssues(
  outcomes: readonly Outcome[],
  tracker: IssueTracker,
  context: IssueContext,
  log: Logger,
): Promise<IssueChange[]> {
  const changes: IssueChange[] = [];
  const errors: string[] = [];
  for (const outcome of outcomes) {
    const failing = isFailing(outcome);
    if (!failing && !isPublished(outcome)) continue;
    const title = issueTitle(outcome.branch);
    try {
      const open = await tracker.findOpenIssue(title);
      if (failing && open) {
        await tracker.comment(open.number, stillFailingBody(outcome, context));
        changes.push({ branch: outcome.branch, action: 'commented', issue: open.number, url: open.url });
      } else if (failing) {
        const opened = await tracker.openIssue(title, openingBody(outcome, context));
        changes.push({ branch: outcome.branch, action: 'opened', issue: opened.number, url: opened.url });
      } else if (open) {
        await tracker.close(open.number, recoveredBody(outcome, context));
        changes.push({ branch: outcome.branch, action: 'closed', issue: open.number, url: open.url });
      } else {
        continue;
      }
      const change = changes[changes.length - 1] as IssueChange;
      log.info(`${change.action} issue #${change.issue} "${title}": ${change.url}`);
    } catch (error) {
      errors.push(`${outcome.branch}: ${errorMessage(error)}`);
    }
  }
  if (errors.length > 0)
    throw new WorkError(
      'github',
      `could not update ${errors.length === 1 ? 'the failure issue' : `${errors.length} failure issues`}: ` +
        `${errors.join('; ')}`,
    );
  return changes;
}
