import type { BranchReport, ImageReport } from '../publish/report.js';
import { cell, clip, code, codeBlock, duration } from './markdown.js';
import { failureOf, isCutOffByTime, isFailing, type Outcome } from './outcomes.js';

/** GitHub aborts a step summary above 1024k; stay well below, other steps may write too. */
export const SUMMARY_BUDGET_BYTES = 1_000_000;

const MESSAGE_CHARS = 8000;
const TAIL_LINES = 100;
const LINE_CHARS = 1000;

export interface SummaryInput {
  outcomes: readonly Outcome[];
  runUrl?: string | undefined;
}

const ICONS: Record<string, string> = {
  published: '✅',
  unchanged: '♻️',
  tested: '🧪',
  planned: '⏸️',
  failed: '❌',
  interrupted: '⛔',
  missing: '❓',
  'cut off by time': '⏱️',
};

function statusOf(outcome: Outcome): string {
  if (isCutOffByTime(outcome)) return 'cut off by time';
  return outcome.kind === 'missing' ? 'missing' : outcome.report.status;
}

function statusText(outcome: Outcome): string {
  const status = statusOf(outcome);
  if (!isFailing(outcome))
    return `${ICONS[status] ?? ''} ${status === 'tested' ? 'tested, not pushed' : status}`.trim();
  const failure = failureOf(outcome);
  if (outcome.kind === 'missing') return `${ICONS.missing} no report`;
  // Not a failure of the branch: the run's time limit stopped it (the message says which).
  if (status === 'cut off by time') return `${ICONS[status]} cut off by time`;
  const where = failure.step === status ? '' : ` at ${failure.step}`;
  return `${ICONS[status]} ${status}${where}${failure.image ? ` (${failure.image})` : ''}`;
}

/** `host/ns/name:tag` -> `tag`: the table is per image already. */
function tagOf(reference: string): string {
  return reference.slice(reference.lastIndexOf(':') + 1);
}

function digestCell(image: ImageReport): string {
  const platforms = platformsText(image);
  if (image.digest) return `${code(image.digest)}${platforms}`;
  if (image.reusedDigest) return `reused ${code(image.reusedDigest)}${platforms}`;
  return platforms.replace(/^<br>/, '');
}

/** Of a multi-platform image: each platform, its smoke result and its manifest digest, one per line. */
function platformsText(image: ImageReport): string {
  return (image.platforms ?? [])
    .map((platform) => {
      const result = platform.passed === undefined ? '' : platform.passed ? ' passed' : ' failed';
      const digest = platform.digest ? ` ${code(platform.digest.slice(0, 19))}` : '';
      return `<br>${cell(platform.platform)}${result}${digest}`;
    })
    .join('');
}

function rowsOf(outcome: Outcome): string[] {
  const head = (report: BranchReport | undefined): string[] => [
    cell(outcome.branch),
    cell(statusText(outcome)),
    report ? code(report.sha.slice(0, 12)) : '',
    report ? duration(report.durationMs) : '',
  ];
  if (outcome.kind === 'missing') return [`| ${[...head(undefined), '', '', '', '', '', ''].join(' | ')} |`];
  const images = outcome.report.images.length > 0 ? outcome.report.images : [undefined];
  return images.map((image, index) => {
    const lead = index === 0 ? head(outcome.report) : ['', '', '', ''];
    const rest = image
      ? [
          cell(image.name),
          image.tags.map((tag) => code(tagOf(tag))).join(' '),
          digestCell(image),
          duration(image.durations.buildMs),
          duration(image.durations.smokeMs),
          duration(image.durations.pushMs),
        ]
      : ['', '', '', '', '', ''];
    return `| ${[...lead, ...rest].join(' | ')} |`;
  });
}

function headerOf(input: SummaryInput): string {
  const runs = input.outcomes.flatMap((o) => (o.kind === 'reported' ? [o.run] : []));
  const dates = [...new Set(runs.map((run) => run.date))].sort();
  const registries = [...new Set(runs.map((run) => run.registry))].sort();
  const counts = new Map<string, number>();
  for (const outcome of input.outcomes) counts.set(statusOf(outcome), (counts.get(statusOf(outcome)) ?? 0) + 1);
  const tally = [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
  const facts = [
    registries.length > 0 ? `registry ${registries.map(code).join(', ')}` : undefined,
    input.runUrl ? `[workflow run](${input.runUrl})` : undefined,
    `${input.outcomes.length} ${input.outcomes.length === 1 ? 'branch' : 'branches'}${tally ? `: ${tally}` : ''}`,
  ].filter(Boolean);
  return `## Mesos images${dates.length > 0 ? ` ${dates.join(', ')}` : ''}\n\n${facts.join(' · ')}\n`;
}

function detailsOf(outcome: Outcome): string {
  const failure = failureOf(outcome);
  const parts = [`### ${cell(outcome.branch)}: ${statusText(outcome)}`];
  if (outcome.kind === 'reported')
    parts.push(`Commit ${code(outcome.report.sha)} · date ${outcome.run.date} · run ${code(outcome.run.runId)}`);
  parts.push(codeBlock(clip(failure.message, MESSAGE_CHARS)));
  if (failure.tests.length > 0) parts.push(`Failing tests: ${failure.tests.map(code).join(', ')}`);
  if (failure.logTail.length > 0) {
    const lines = failure.logTail.slice(-TAIL_LINES).map((line) => clip(line, LINE_CHARS));
    parts.push(
      `<details><summary>Last ${lines.length} log lines</summary>\n\n${codeBlock(lines.join('\n'))}\n\n</details>`,
    );
  }
  return `${parts.join('\n\n')}\n`;
}

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

const REASON_CHARS = 500;

/**
 * Why each image of a published branch was built rather than re-tagged: a new commit, changed
 * inputs, a rebuilt base, or its age (`--rebuild-after`: OS and package updates). One line each.
 */
function rebuildLines(outcomes: readonly Outcome[]): string[] {
  const lines: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.kind !== 'reported' || outcome.report.status !== 'published') continue;
    for (const image of outcome.report.images) {
      if (image.status !== 'pushed' || !image.reason) continue;
      lines.push(`- ${code(outcome.branch)} ${cell(image.name)}: ${cell(clip(image.reason, REASON_CHARS))}`);
    }
  }
  return lines;
}

/**
 * The run as Markdown for $GITHUB_STEP_SUMMARY: one table row per branch and image (status, commit,
 * tags, digest, durations), then the failing step, message and log tail of every failing branch,
 * then why each image of a published branch was rebuilt.
 * Never larger than `budget` bytes: failure details go first, then table rows, each with a note.
 */
export function renderSummary(input: SummaryInput, budget = SUMMARY_BUDGET_BYTES): string {
  const header = headerOf(input);
  const tableHead =
    '| Branch | Status | Commit | Time | Image | Tags | Digest | Build | Smoke | Push |\n' +
    '|---|---|---|---|---|---|---|---|---|---|\n';
  const rows = input.outcomes.flatMap(rowsOf);
  // Room for the notes below, whatever they end up saying.
  const reserve = 400;
  let text = `${header}\n${tableHead}`;
  let shownRows = 0;
  for (const row of rows) {
    if (bytes(text) + bytes(row) + 1 > budget - reserve) break;
    text += `${row}\n`;
    shownRows += 1;
  }
  if (shownRows < rows.length)
    text +=
      `\n_${rows.length - shownRows} table rows left out to stay under GitHub's step summary limit; ` +
      `the JSON reports have everything._\n`;

  const failing = input.outcomes.filter(isFailing);
  let shownDetails = 0;
  for (const outcome of failing) {
    const section = `\n${detailsOf(outcome)}`;
    if (bytes(text) + bytes(section) > budget - reserve) break;
    text += section;
    shownDetails += 1;
  }
  if (shownDetails < failing.length)
    text +=
      `\n_Details of ${failing.length - shownDetails} failing branches left out to stay under ` +
      `GitHub's step summary limit; the JSON reports have everything._\n`;

  const rebuilt = rebuildLines(input.outcomes);
  if (rebuilt.length === 0) return text;
  const heading = '\n### Why rebuilt\n\n';
  let shownReasons = 0;
  if (bytes(text) + bytes(heading) <= budget - reserve) {
    text += heading;
    for (const line of rebuilt) {
      if (bytes(text) + bytes(line) + 1 > budget - reserve) break;
      text += `${line}\n`;
      shownReasons += 1;
    }
  }
  if (shownReasons < rebuilt.length)
    text +=
      `\n_${rebuilt.length - shownReasons} reasons for rebuilds left out to stay under GitHub's step ` +
      `summary limit; the JSON reports have everything._\n`;
  return text;
}
