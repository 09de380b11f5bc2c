import { Command, CommanderError, Option } from 'commander';
import { InputError } from '../errors.js';
import { packageVersion } from '../paths.js';
import type { PruneFlags } from '../commands/prune.js';
import type { ReportFlags } from '../commands/report.js';
import type { PublishFlags } from '../commands/publish.js';
import type { CleanFlags } from '../commands/clean.js';
import type { MatrixFlags } from '../commands/matrix.js';
import type { StatusFlags } from '../commands/status.js';
import {
  DEFAULT_CACHE_MAX_AGE,
  DEFAULT_ARM_CGROUP_V1_RUNNER,
  DEFAULT_ARM_RUNNER,
  DEFAULT_CGROUP_V1_RUNNER,
  DEFAULT_HOSTED_RUNNER,
  DEFAULT_MAX_AGE,
  DEFAULT_REBUILD_AFTER,
} from '../settings/defaults.js';
import type { PlanFlags } from '../settings/common-options.js';

export interface PlanCommandFlags extends PlanFlags {
  json?: boolean;
}

/** What each command does once its flags are parsed; each returns its exit code. */
export interface Handlers {
  plan(flags: PlanCommandFlags): Promise<number>;
  publish(flags: PublishFlags): Promise<number>;
  report(files: string[], flags: ReportFlags): Promise<number>;
  prune(flags: PruneFlags): Promise<number>;
  status(flags: StatusFlags): Promise<number>;
  matrix(file: string, flags: MatrixFlags): Promise<number>;
  clean(flags: CleanFlags): Promise<number>;
}

/**
 * An option that may be given more than once and collects its values. It has no default of its
 * own, which commander would print as `(default: [])`: the empty list is set before the action
 * runs (see `buildProgram`), so handlers always get an array.
 */
const repeatable = (flags: string, description: string): Option =>
  new Option(flags, description).argParser((value: string, previous: string[] | undefined) => [
    ...(previous ?? []),
    value,
  ]);

// The registry and family options of the maintenance commands (prune, status): the same words in both.
const REGISTRY_OPTION = (): Option =>
  new Option(
    '--registry <host[:port]/namespace>',
    'where the images are (default: $MESOS_PIPELINE_REGISTRY or docker.io/mesos)',
  );
const IMAGES_OPTION = (): Option =>
  new Option('--images <dir>', 'folder with images.json, naming the repositories (default: the embedded dockerfiles/)');

const quoted = (words: readonly string[]): string => {
  const all = words.map((word) => `"${word}"`);
  return all.length < 2 ? (all[0] ?? '') : `${all.slice(0, -1).join(', ')} and ${all.at(-1)}`;
};

/**
 * Too many arguments, in our words rather than commander's `Expected 0 arguments but got 1.`:
 * which command, what it takes, and the words it got (often a value whose option was mistyped).
 */
function checkArgumentCount(_program: Command, action: Command): void {
  const declared = action.registeredArguments;
  if (declared.some((argument) => argument.variadic) || action.args.length <= declared.length) return;
  const name = action.name();
  const help = `see mesos-pipeline ${name} --help`;
  if (declared.length === 0)
    throw new InputError(`${name} takes no arguments, but got ${quoted(action.args)}; options start with --, ${help}`);
  throw new InputError(
    `${name} takes ${declared.length} argument${declared.length === 1 ? '' : 's'}, but got ${action.args.length}: ` +
      `${quoted(action.args)}; ${help}`,
  );
}

/** Closes a command's help with a few real command lines (test/pipeline/cli/help.test.ts parses each). */
function examples(command: Command, lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((line) => `  $ mesos-pipeline ${line}`).join('\n')}\n`);
}

/** Gives every repeatable option that was not used its empty list, before the action runs. */
function emptyLists(_program: Command, action: Command): void {
  for (const option of action.options)
    if (
      option.parseArg &&
      option.defaultValue === undefined &&
      action.getOptionValue(option.attributeName()) === undefined
    )
      action.setOptionValueWithSource(option.attributeName(), [], 'default');
}

function planOptions(command: Command): Command {
  return command
    .option(
      '--repo <url-or-path>',
      'Mesos git repository (default: $MESOS_PIPELINE_REPO or https://github.com/apache/mesos.git)',
    )
    .addOption(repeatable('--branch <name>', 'plan only this branch (repeatable): master or N.N.x'))
    .option('--date <YYYY-MM-DD>', 'the UTC day for dated tags, at most a day ahead (default: today in UTC)')
    .option('--rerun-old-date', 'allow a --date (or a --plan of a day) more than 30 days back: a deliberate re-run')
    .option(
      '--registry <host[:port]/namespace>',
      'where images go (default: $MESOS_PIPELINE_REGISTRY or docker.io/mesos)',
    )
    .option('--images <dir>', 'folder with images.json (default: the embedded dockerfiles/)')
    .option('--min-version <major.minor>', 'oldest release branch to include (default: 1.7)')
    .option('-v, --verbose', 'show engine output and debug lines on stderr');
}

/**
 * The command line, on commander. Usage mistakes surface as InputError (exit 2) with commander's
 * one-line message; --help and --version print and succeed.
 */
export function buildProgram(
  handlers: Handlers,
  write: { out: (s: string) => void; err: (s: string) => void },
  setExitCode: (code: number) => void,
): Command {
  const program = new Command('mesos-pipeline')
    .description(
      'Builds, smoke-tests and publishes the mesos-centos and mesos-mini images for master and every release branch.',
    )
    .version(packageVersion(), '--version')
    .exitOverride()
    .configureOutput({ writeOut: write.out, writeErr: write.err, outputError: () => undefined })
    .showHelpAfterError(false)
    .hook('preAction', checkArgumentCount)
    .hook('preAction', emptyLists);

  examples(program, [
    'plan --branch master',
    'publish --dry-run --branch 1.11.x',
    'status --registry 127.0.0.1:5000/mesos --max-age 36h',
  ]);

  planOptions(program.command('plan'))
    .description('resolve branches to exact commits and print what would be built and pushed')
    .addOption(new Option('--json', 'print the plan as one JSON document'))
    .action(async (flags: PlanCommandFlags) => setExitCode(await handlers.plan(flags)));
  examples(program.commands.at(-1) as Command, [
    'plan --branch master --branch 1.11.x',
    'plan --repo ../mesos --registry 127.0.0.1:5000/mesos --json',
  ]);

  planOptions(program.command('publish'))
    .description('build, smoke-test and push every planned branch; only tested images are pushed')
    .option(
      '--plan <file>',
      'apply a plan written by `plan --json` (its shas, date and registry) instead of planning now',
    )
    .option('--dry-run', 'print the plan and touch nothing')
    .option('--no-push', 'build and smoke-test only')
    .option('--keep', 'keep the images built (default: remove them, keep the build cache)')
    .option('--force', 'rebuild even branches whose published images are unchanged')
    .option(
      '--no-compile-cache',
      'compile without the compile cache (ccache neither reads nor writes it); with --force, a build from scratch',
    )
    .option(
      '--rebuild-after <duration>',
      'rebuild an unchanged image older than this, for OS and package updates: 7d, 36h, 1d12h',
      DEFAULT_REBUILD_AFTER,
    )
    .option('--report <file>', 'write the run report as JSON to this file')
    .option('--json', 'print the run report (or with --dry-run the plan) as JSON on stdout')
    .option(
      '--concurrency <n>',
      'branches built and tested at once (default: 2, or 1 on a one-core machine; pushes overlap with builds)',
    )
    .option('--retries <n>', 'retries of a failed registry call before giving up (default: 4)')
    .option(
      '--summary',
      'print the Markdown run summary on stderr (under GitHub Actions it always goes to $GITHUB_STEP_SUMMARY)',
    )
    .option(
      '--time-limit <duration>',
      'stop cleanly after this long (5h, 330m), report unfinished branches as cut off by time, exit 124',
    )
    .option(
      '--log-dir <dir>',
      'write the full log of each branch (build output, smoke tests, container logs) to DIR/<branch>.log',
    )
    .option(
      '--platform <os/arch>',
      'build and smoke-test only this platform of each image (with --stage, or with --no-push)',
    )
    .option(
      '--stage',
      'with --plan and --platform: push each image of the platform under a staging tag of the run only, for ' +
        '--assemble; no tag users pull moves',
    )
    .option(
      '--assemble <reports...>',
      'with --plan: from the --report files of the --stage runs, put each image index under its tags (only when ' +
        'every platform passed) and delete the staging tags; builds nothing',
    )
    .action(async (flags: PublishFlags) => setExitCode(await handlers.publish(flags)));
  examples(program.commands.at(-1) as Command, [
    'publish --dry-run --branch 1.11.x',
    'publish --registry 127.0.0.1:5000/mesos --branch master --report report.json',
    'publish --plan plan.json --branch master --assemble amd64.json arm64.json --report report.json',
  ]);

  program
    .command('report')
    .description(
      'summarize publish reports in Markdown ($GITHUB_STEP_SUMMARY, else stdout) and open, update or close the ' +
        'failure issue of each branch',
    )
    .argument('[reports...]', 'JSON files written by publish --report')
    .addOption(
      repeatable(
        '--expect <branches>',
        'branches that must have a report, comma-separated or repeated; a missing one counts as failed',
      ),
    )
    .option('--no-issues', 'leave GitHub issues alone even with GITHUB_TOKEN and GITHUB_REPOSITORY set')
    .option('-v, --verbose', 'show debug lines on stderr')
    .action(async (files: string[], flags: ReportFlags) => setExitCode(await handlers.report(files, flags)));
  examples(program.commands.at(-1) as Command, [
    'report reports/master.json reports/1.11.x.json --expect master,1.11.x',
    'report report.json --no-issues',
  ]);

  program
    .command('prune')
    .description(
      'delete dated tags older than --keep-days; floating and version tags, and images kept tags use, always stay',
    )
    .requiredOption('--keep-days <n>', 'delete dated tags whose UTC day is more than N days before today')
    .option('--dry-run', 'list what would be deleted and delete nothing')
    .addOption(REGISTRY_OPTION())
    .addOption(IMAGES_OPTION())
    .addOption(
      repeatable('--branch <name>', 'prune only this branch (repeatable; default: every branch with dated tags)'),
    )
    .option('-v, --verbose', 'show debug lines on stderr')
    .action(async (flags: PruneFlags) => setExitCode(await handlers.prune(flags)));
  examples(program.commands.at(-1) as Command, [
    'prune --keep-days 30 --dry-run',
    'prune --keep-days 30 --registry 127.0.0.1:5000/mesos --branch 1.7.x',
  ]);

  program
    .command('status')
    .description(
      'list per branch and image the newest dated tag and its age; exit 1 when any is older than --max-age or missing',
    )
    .option(
      '--repo <url-or-path>',
      'Mesos git repository whose branches to check (default: $MESOS_PIPELINE_REPO or https://github.com/apache/mesos.git)',
    )
    .addOption(repeatable('--branch <name>', 'check only this branch (repeatable; then git is not read)'))
    .addOption(REGISTRY_OPTION())
    .addOption(IMAGES_OPTION())
    .option('--min-version <major.minor>', 'oldest release branch to check (default: 1.7)')
    .option('-v, --verbose', 'show debug lines on stderr')
    .option('--max-age <duration>', 'the oldest a newest dated tag may be: 36h, 2d, 1d12h', DEFAULT_MAX_AGE)
    .option('--json', 'print the status as one JSON document')
    .action(async (flags: StatusFlags) => setExitCode(await handlers.status(flags)));
  examples(program.commands.at(-1) as Command, [
    'status --max-age 36h',
    'status --registry 127.0.0.1:5000/mesos --branch master --json',
  ]);

  program
    .command('matrix')
    .description(
      "print the nightly's GitHub Actions job matrix for a plan: each branch and platform with a runner of that " +
        'architecture that can run its service tests',
    )
    .argument('<plan.json>', 'a plan written by plan --json')
    .option(
      '--hosted-runner <labels>',
      'runs-on labels for amd64 builds of branches whose images run on cgroup v2 (comma-separated)',
      DEFAULT_HOSTED_RUNNER,
    )
    .option(
      '--cgroup-v1-runner <labels>',
      'runs-on labels for amd64 builds of branches that need a cgroup v1 host (comma-separated)',
      DEFAULT_CGROUP_V1_RUNNER,
    )
    .option(
      '--arm-runner <labels>',
      'runs-on labels for arm64 builds of branches whose images run on cgroup v2 (comma-separated)',
      DEFAULT_ARM_RUNNER,
    )
    .option(
      '--arm-cgroup-v1-runner <labels>',
      'runs-on labels for arm64 builds of branches that need a cgroup v1 host (comma-separated)',
      DEFAULT_ARM_CGROUP_V1_RUNNER,
    )
    .action(async (file: string, flags: MatrixFlags) => setExitCode(await handlers.matrix(file, flags)));
  examples(program.commands.at(-1) as Command, [
    'matrix plan.json',
    'matrix plan.json --cgroup-v1-runner self-hosted,linux,cgroup-v1',
  ]);

  program
    .command('clean')
    .description(
      "remove a run's containers and images from the engine and prune build cache older than --cache-max-age; " +
        'BuildKit cache mounts (the compile cache) stay',
    )
    .option('--run <id>', 'the run whose containers and images go (default: $MESOS_PIPELINE_RUN_ID)')
    .option(
      '--cache-max-age <duration>',
      "prune the pipeline's classic build cache created, and BuildKit layer cache last used, longer ago than " +
        'this: 24h, 3d',
      DEFAULT_CACHE_MAX_AGE,
    )
    .option('-v, --verbose', 'show debug lines on stderr')
    .action(async (flags: CleanFlags) => setExitCode(await handlers.clean(flags)));
  examples(program.commands.at(-1) as Command, ['clean --run nightly-1234', 'clean --cache-max-age 3d']);

  // Our own check of the argument count runs before each action (checkArgumentCount).
  for (const command of program.commands) command.allowExcessArguments(true);
  return program;
}

/** Commander's own errors, as our error type: usage problems are exit 2, help/version exit 0. */
export function fromCommanderError(error: CommanderError): InputError | undefined {
  if (error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
    return undefined;
  const [first = '', ...rest] = error.message.replace(/^error:\s*/, '').split('\n');
  // Commander's suggestion comes on a line of its own; keep it on the one line users see.
  const suggestion = /\(Did you mean (.+)\?\)/.exec(rest.join(' '))?.[1];
  return new InputError(`${first}${suggestion ? ` (did you mean ${suggestion}?)` : ''}; see mesos-pipeline --help`);
}

export { CommanderError };
