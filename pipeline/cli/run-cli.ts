import { errorMessage, exitCodeOf, InternalError, PipelineError } from '../errors.js';
import { StreamLogger } from '../log.js';
import { buildPlan, printPlan } from '../commands/plan.js';
import { runPrune } from '../commands/prune.js';
import { runPublish } from '../commands/publish.js';
import { runReport } from '../commands/report.js';
import { runStatus } from '../commands/status.js';
import { runMatrix } from '../commands/matrix.js';
import { runClean } from '../commands/clean.js';
import { isGitHubActions } from '../report/github-env.js';
import { smokeSpecProblems } from '../smoke/spec.js';
import { buildProgram, CommanderError, fromCommanderError } from './program.js';
import { resolvePlanSettings } from '../settings/common-options.js';
import type { Runtime } from '../settings/runtime.js';

/**
 * Runs one command line and returns its exit code; never throws. main.ts is the only caller that
 * turns the code into process.exitCode, tests call this directly.
 */
export async function runCli(argv: readonly string[], runtime: Runtime): Promise<number> {
  const stderr = new StreamLogger({
    sink: runtime.stderr,
    redactor: runtime.redactor,
    github: isGitHubActions(runtime.env),
  });
  let exitCode = 0;
  const program = buildProgram(
    {
      plan: async (flags) => {
        const settings = resolvePlanSettings(flags, runtime);
        const { plan } = await buildPlan(settings, runtime, smokeSpecProblems);
        printPlan(plan, flags.json ?? false, runtime);
        return 0;
      },
      publish: (flags) => runPublish(flags, runtime),
      report: (files, flags) => runReport(files, flags, runtime),
      prune: (flags) => runPrune(flags, runtime),
      status: (flags) => runStatus(flags, runtime),
      matrix: (file, flags) => runMatrix(file, flags, runtime),
      clean: (flags) => runClean(flags, runtime),
    },
    {
      out: (text) => runtime.stdout.write(runtime.redactor.redact(text)),
      err: (text) => runtime.stderr.write(runtime.redactor.redact(text)),
    },
    (code) => {
      exitCode = code;
    },
  );
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (caught) {
    let error = caught;
    if (error instanceof CommanderError) {
      const input = fromCommanderError(error);
      if (!input) return 0;
      error = input;
    }
    if (!(error instanceof PipelineError)) error = new InternalError(errorMessage(error), { cause: error });
    stderr.error(errorMessage(error));
    // Under GitHub Actions also an annotation on the run's page, with the same one line.
    stderr.annotateError(`mesos-pipeline ${argv[0] ?? ''}`.trim(), errorMessage(error));
    if (error instanceof InternalError && error.cause instanceof Error && error.cause.stack)
      stderr.debug(error.cause.stack);
    return exitCodeOf(error);
  }
}
