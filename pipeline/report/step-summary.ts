import { appendFile } from 'node:fs/promises';
import type { Runtime } from '../settings/runtime.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { RunReport } from '../publish/report.js';
import { runUrlOf } from './github-env.js';
import { gatherOutcomes } from './outcomes.js';
import { renderSummary } from './summary.js';

/**
 * Writes a Markdown summary where it is wanted: appended to $GITHUB_STEP_SUMMARY when GitHub
 * Actions set it, else to stderr when `toStderr`, else nowhere. A summary that cannot be written
 * is a warning: it never turns a good run into a failed one.
 */
export async function writeStepSummary(
  markdown: string,
  runtime: Runtime,
  toStderr: boolean,
  log: Logger,
): Promise<void> {
  const text = runtime.redactor.redact(markdown);
  const file = runtime.env.GITHUB_STEP_SUMMARY;
  if (file) {
    await appendFile(file, text.endsWith('\n') ? text : `${text}\n`).catch((error: unknown) =>
      log.warn(`could not write the step summary to ${file}: ${errorMessage(error)}`),
    );
  } else if (toStderr) {
    runtime.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}

/** The Markdown summary of finished runs, written as writeStepSummary does. */
export async function writeRunSummary(
  reports: readonly RunReport[],
  runtime: Runtime,
  toStderr: boolean,
  log: Logger,
): Promise<void> {
  await writeStepSummary(
    renderSummary({ outcomes: gatherOutcomes(reports), runUrl: runUrlOf(runtime.env) }),
    runtime,
    toStderr,
    log,
  );
}
