import { Octokit } from '@octokit/rest';
import { OctokitIssueTracker } from '../adapters/github-issues.js';
import { checkBranchNames } from '../settings/registry-options.js';
import { stderrLogger, type Runtime } from '../settings/runtime.js';
import { InputError } from '../errors.js';
import type { Logger } from '../log.js';
import { packageVersion } from '../paths.js';
import { syncFailureIssues } from '../report/failure-issues.js';
import { runUrlOf } from '../report/github-env.js';
import { gatherOutcomes } from '../report/outcomes.js';
import { readReports } from '../report/read-reports.js';
import { writeStepSummary } from '../report/step-summary.js';
import { renderSummary } from '../report/summary.js';

export interface ReportFlags {
  /** Branches that must have a report; commander collects repeats, each may be a comma list. */
  expect: string[];
  /** False with --no-issues. */
  issues: boolean;
  verbose?: boolean;
}

function octokitFor(token: string, runtime: Runtime, log: Logger): Octokit {
  return new Octokit({
    auth: token,
    // Set by GitHub Actions (GitHub Enterprise too); tests point it at a local stand-in.
    baseUrl: runtime.env.GITHUB_API_URL ?? 'https://api.github.com',
    userAgent: `mesos-pipeline/${packageVersion()}`,
    // Octokit's own lines (`GET /repos/... - 500 with id ... in 12ms`) only with -v: a failed call
    // is reported once, by the issue tracker, in our words.
    log: {
      debug: (m: string) => log.debug(m),
      info: (m: string) => log.debug(m),
      warn: (m: string) => log.debug(m),
      error: (m: string) => log.debug(m),
    },
    request: { signal: runtime.signal },
  });
}

/**
 * `mesos-pipeline report <report.json>...`: the Markdown summary of one or more publish reports
 * (to $GITHUB_STEP_SUMMARY, else stdout), then, with GITHUB_TOKEN and GITHUB_REPOSITORY, one
 * GitHub issue per failing branch, kept up to date and closed when the branch publishes again.
 */
export async function runReport(files: readonly string[], flags: ReportFlags, runtime: Runtime): Promise<number> {
  const log = stderrLogger(runtime, { verbose: flags.verbose ?? false });
  const expected = [
    ...new Set(
      flags.expect
        .flatMap((value) => value.split(','))
        .map((value) => value.trim())
        .filter(Boolean),
    ),
  ];
  checkBranchNames(expected, '--expect');
  if (files.length === 0 && expected.length === 0)
    throw new InputError(
      'no report files given; name the JSON files publish --report wrote, or the branches to --expect',
    );
  const token = runtime.env.GITHUB_TOKEN;
  const repository = runtime.env.GITHUB_REPOSITORY;
  runtime.redactor.add(token);
  const issues =
    flags.issues && token && repository
      ? new OctokitIssueTracker(octokitFor(token, runtime, log), repository)
      : undefined;

  const outcomes = gatherOutcomes(await readReports(files, runtime.cwd), expected);
  const runUrl = runUrlOf(runtime.env);
  const markdown = renderSummary({ outcomes, runUrl });
  if (runtime.env.GITHUB_STEP_SUMMARY) await writeStepSummary(markdown, runtime, false, log);
  else runtime.stdout.write(runtime.redactor.redact(markdown));

  if (!issues) {
    if (flags.issues) log.info('failure issues: skipped; they need GITHUB_TOKEN and GITHUB_REPOSITORY');
    return 0;
  }
  const changes = await syncFailureIssues(
    outcomes,
    issues,
    { runUrl, redact: (text) => runtime.redactor.redact(text) },
    log,
  );
  if (changes.length === 0) log.info('failure issues: nothing to open, update or close');
  return 0;
}
