import { errorMessage, exitCodeOf, InternalError, PipelineError } from '../errors.js';
import { isGitHubActions } from '../report/github-env.js';
import { buildProgram, CommanderError, fromCommanderError } from './program.js';
import { stderrLogger, type Runtime } from '../settings/runtime.js';

/**
 * Runs one command line and returns its exit code; never throws. main.ts is the only caller that
 * turns the code into process.exitCode, tests call this directly.
 */
export async function runCli(argv: readonly string[], runtime: Runtime): Promise<number> {
  const stderr = stderrLogger(runtime, { github: isGitHubActions(runtime.env) });
  let exitCode = 0;
  // Each command loads its modules when it runs: dockerode, zod, date-fns and Octokit together take
  // most of a second to load, which `--help` and `plan` should not pay for. A static import of
  // pipeline/commands/* here would undo that; test/pipeline/cli/lazy-loading.test.ts checks it.
  const program = buildProgram(
    {
      plan: async (flags) => {
        const [{ resolvePlanSettings }, { buildPlan, printPlan }] = await Promise.all([
          import('../settings/common-options.js'),
          import('../commands/plan.js'),
        ]);
        const settings = resolvePlanSettings(flags, runtime);
        // The smoke spec checks (and zod with them) load for a spec the build did not check.
        const smokeSpecProblems = async (file: string, text: string): Promise<string[]> =>
          (await import('../smoke/spec.js')).smokeSpecProblems(file, text);
        const { plan } = await buildPlan(settings, runtime, smokeSpecProblems);
        printPlan(plan, flags.json ?? false, runtime);
        return 0;
      },
      publish: async (flags) => (await import('../commands/publish.js')).runPublish(flags, runtime),
      report: async (files, flags) => (await import('../commands/report.js')).runReport(files, flags, runtime),
      prune: async (flags) => (await import('../commands/prune.js')).runPrune(flags, runtime),
      status: async (flags) => (await import('../commands/status.js')).runStatus(flags, runtime),
      matrix: async (file, flags) => (await import('../commands/matrix.js')).runMatrix(file, flags, runtime),
      clean: async (flags) => (await import('../commands/clean.js')).runClean(flags, runtime),
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
    // One line; a list of problems (ConfigError) follows it, one problem a line, as it is.
    const [first = '', ...rest] = errorMessage(error).split('\n');
    stderr.error(first);
    if (rest.length > 0) runtime.stderr.write(runtime.redactor.redact(`${rest.join('\n')}\n`));
    // Under GitHub Actions also an annotation on the run's page, with the same text.
    stderr.annotateError(`mesos-pipeline ${argv[0] ?? ''}`.trim(), errorMessage(error));
    if (error instanceof InternalError && error.cause instanceof Error && error.cause.stack)
      stderr.debug(error.cause.stack);
    return exitCodeOf(error);
  }
}
