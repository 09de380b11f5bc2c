import { randomUUID } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveCredentials } from '../adapters/credentials.js';
import { dockerFromEnv } from '../adapters/docker-client.js';
import { hubRollbackDeleter } from '../adapters/docker-hub-tags.js';
import { DockerContainers } from '../adapters/docker-containers.js';
import { DockerImageEngine } from '../adapters/docker-engine.js';
import { contextDigest } from '../adapters/build-context.js';
import { LocalHostCgroups } from '../adapters/host-cgroups.js';
import { LocalHostFacts } from '../adapters/host-facts.js';
import { RegistryHttp } from '../adapters/registry-http.js';
import { acquireLock, type HeldLock } from '../adapters/run-lock.js';
import { BranchLogFiles } from '../adapters/branch-log-files.js';
import { resolvePlanSettings, type PlanFlags } from '../settings/common-options.js';
import { parseDuration } from '../settings/duration.js';
import { registryRetryPolicy, wholeNumberOption } from '../settings/registry-options.js';
import { stderrLogger, type Runtime } from '../settings/runtime.js';
import { errorMessage, InputError, TimeLimitError, WorkError } from '../errors.js';
import { deadline } from '../deadline.js';
import type { Clock } from '../ports.js';
import type { Family } from '../family/family.js';
import { applyFamily } from '../plan/plan-paths.js';
import type { PublishDeps, PublishOptions, RunShared } from '../publish/context.js';
import { preflight, preflightMessage } from '../publish/preflight.js';
import { publish, runExitCode } from '../publish/publish.js';
import { CLEANUP_TIMEOUT_MS, INTERRUPTED_CLEANUP_TIMEOUT_MS } from '../publish/push.js';
import type { RunReport } from '../publish/report.js';
import { isGitHubActions } from '../report/github-env.js';
import { writeRunSummary } from '../report/step-summary.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../retry.js';
import { DEFAULT_REBUILD_AFTER } from '../settings/defaults.js';
import { parseSmokeSpec, smokeSpecProblems } from '../smoke/spec.js';
import type { SmokeSpec } from '../smoke/spec-schema.js';
import { DOCKER_HUB, parseRegistryTarget, utcDay } from '../../tags/index.js';
import { runAssemble } from './assemble.js';
import { readPlanFile } from './plan-file.js';
import { buildPlan, printPlan } from './plan.js';

export interface PublishFlags extends PlanFlags {
  dryRun?: boolean;
  push: boolean;
  keep?: boolean;
  force?: boolean;
  /** False with --no-compile-cache. */
  compileCache?: boolean;
  report?: string;
  json?: boolean;
  concurrency?: string;
  retries?: string;
  plan?: string;
  summary?: boolean;
  rebuildAfter?: string;
  logDir?: string;
  timeLimit?: string;
  /** Build and smoke-test only this platform of each image (--stage, or --no-push). */
  platform?: string;
  /** Push the platform's images under staging tags of the run only, for --assemble. */
  stage?: boolean;
  /** The --report files of the --stage runs to put together. */
  assemble?: string[];
}

/** The split flow's options go together only so; one line saying what would be right. */
function checkSplitFlags(flags: PublishFlags): void {
  if (flags.assemble !== undefined) {
    if (flags.plan === undefined)
      throw new InputError('--assemble needs --plan: the plan the stage jobs applied (their shas and date)');
    if (flags.platform !== undefined || flags.stage)
      throw new InputError('--assemble puts every platform together: drop --platform and --stage');
    if (flags.assemble.length === 0)
      throw new InputError('--assemble needs the --report files of the publish --stage runs');
    return;
  }
  if (flags.stage && flags.plan === undefined)
    throw new InputError('--stage needs --plan: every platform of a branch must build the same plan');
  if (flags.stage && flags.platform === undefined)
    throw new InputError('--stage needs --platform: the one platform this job builds, for example linux/arm64');
  if (flags.stage && !flags.push)
    throw new InputError('--stage pushes to staging tags; with --no-push drop --stage (--platform alone tests one)');
  if (flags.platform !== undefined && flags.push && !flags.stage)
    throw new InputError(
      `--platform ${flags.platform} builds one platform, which alone must not be published: add --stage (then ` +
        `--assemble), or --no-push`,
    );
}

/** The --platform of a run must be one the plan builds. */
function checkPlatform(platform: string, plan: { branches: { images: { platforms?: string[] }[] }[] }): void {
  const planned = new Set(
    plan.branches.flatMap((branch) => branch.images.flatMap((image) => image.platforms ?? ['linux/amd64'])),
  );
  if (!planned.has(platform))
    throw new InputError(
      `--platform ${platform}: the plan builds ${[...planned].join(', ') || 'nothing'}; name one of them`,
    );
}

// Two branches build at once where there are two cores: a build's single-threaded steps (and
// its waits on the network and on smoke tests) leave the other core idle otherwise. More would
// only share the same cores, and each Mesos compile uses all of them already.
const DEFAULT_CONCURRENCY = Math.min(2, availableParallelism());

function wholeNumber(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  return value === undefined ? fallback : wholeNumberOption(name, value, min, max);
}

async function checkReportPath(file: string | undefined, cwd: string): Promise<string | undefined> {
  if (file === undefined) return undefined;
  const full = path.resolve(cwd, file);
  const dir = await stat(path.dirname(full)).catch(() => undefined);
  if (!dir?.isDirectory()) throw new InputError(`--report ${file}: folder ${path.dirname(full)} does not exist`);
  return full;
}

async function loadSmokeSpecs(family: Family): Promise<Map<string, SmokeSpec>> {
  const specs = new Map<string, SmokeSpec>();
  for (const image of family.images)
    specs.set(image.name, parseSmokeSpec(await readFile(image.smokeFile, 'utf8'), image.smokeFile));
  return specs;
}

/** Where the host's /proc, /sys and /lib/modules are read: `/` unless MESOS_PIPELINE_HOST_ROOT says. */
async function hostRootOf(env: Runtime['env'], cwd: string): Promise<string | undefined> {
  const value = env.MESOS_PIPELINE_HOST_ROOT;
  if (value === undefined || value === '') return undefined;
  const full = path.resolve(cwd, value);
  const dir = await stat(full).catch(() => undefined);
  if (!dir?.isDirectory())
    throw new InputError(
      `MESOS_PIPELINE_HOST_ROOT "${value}" is not a folder; it must name a folder holding a host's proc/, sys/ and ` +
        `lib/modules/, or be unset`,
    );
  return full;
}

function sharedOf(specs: Map<string, SmokeSpec>, compileCache: boolean, runId: string): RunShared {
  const digests = new Map<string, Promise<string>>();
  return {
    smokeSpecs: specs,
    compileCache,
    runId,
    contextDigest: (image, context) => {
      let digest = digests.get(image);
      if (!digest) {
        digest = contextDigest(context);
        digests.set(image, digest);
      }
      return digest;
    },
  };
}

/** stdout of a run: each published reference with its digest, or what was tested; or the report as JSON. */
export function printResults(report: RunReport, json: boolean, runtime: Runtime): void {
  if (json) {
    runtime.stdout.write(`${runtime.redactor.redact(JSON.stringify(report, null, 2))}\n`);
    return;
  }
  const lines: string[] = [];
  for (const branch of report.branches) {
    for (const image of branch.images) {
      for (const tag of image.tags) lines.push(`${tag} ${image.digest ?? ''}`.trim());
      if (branch.status === 'tested' && image.imageId)
        lines.push(`tested ${image.name}@${branch.branch} ${image.imageId}`);
    }
  }
  if (lines.length > 0) runtime.stdout.write(`${lines.join('\n')}\n`);
}

/** `mesos-pipeline publish`: plan, then build, smoke-test and push. Returns the exit code. */
export async function runPublish(flags: PublishFlags, runtime: Runtime): Promise<number> {
  const limitMs = flags.timeLimit === undefined ? undefined : parseDuration('--time-limit', flags.timeLimit);
  const files =
    flags.logDir === undefined
      ? undefined
      : BranchLogFiles.open('--log-dir', path.resolve(runtime.cwd, flags.logDir), runtime.clock);
  const limit = timeLimited(runtime.clock, runtime.signal, limitMs, flags.timeLimit ?? '');
  try {
    // Everything below listens to one signal: SIGINT/SIGTERM, or the run's own time limit.
    return await publishWith(flags, { ...runtime, signal: limit.signal }, files);
  } finally {
    limit.dispose();
    files?.close();
  }
}

/**
 * The run's signal, which also aborts with a TimeLimitError after `ms`: the nightly stops itself
 * cleanly (containers removed, nothing half-pushed, report written) before GitHub would kill the
 * job at its timeout-minutes without a report.
 */
function timeLimited(
  clock: Clock,
  parent: AbortSignal,
  ms: number | undefined,
  text: string,
): { signal: AbortSignal; dispose: () => void } {
  if (ms === undefined) return { signal: parent, dispose: () => undefined };
  return deadline(clock, ms, parent, () => new TimeLimitError(text));
}

async function publishWith(flags: PublishFlags, runtime: Runtime, files: BranchLogFiles | undefined): Promise<number> {
  const log = stderrLogger(runtime, { verbose: flags.verbose ?? false, github: isGitHubActions(runtime.env), files });
  checkSplitFlags(flags);
  // Either resolve the plan now, or apply one made earlier (the nightly's plan job).
  const settings = flags.plan === undefined ? resolvePlanSettings(flags, runtime) : undefined;
  const options: PublishOptions = {
    push: flags.push,
    keep: flags.keep ?? false,
    force: flags.force ?? false,
    concurrency: wholeNumber('--concurrency', flags.concurrency, DEFAULT_CONCURRENCY, 1, 16),
    rebuildAfterMs: parseDuration('--rebuild-after', flags.rebuildAfter ?? DEFAULT_REBUILD_AFTER),
  };
  const retry: RetryPolicy = {
    ...registryRetryPolicy(runtime.env),
    retries: wholeNumber('--retries', flags.retries, DEFAULT_RETRY.retries, 0, 10),
  };
  // How long to wait for a registry: an answer to one request, and progress of an engine push.
  const requestTimeoutMs = wholeNumber(
    'MESOS_PIPELINE_REGISTRY_TIMEOUT_MS',
    runtime.env.MESOS_PIPELINE_REGISTRY_TIMEOUT_MS,
    30_000,
    100,
    600_000,
  );
  const stallTimeoutMs = wholeNumber(
    'MESOS_PIPELINE_PUSH_STALL_MS',
    runtime.env.MESOS_PIPELINE_PUSH_STALL_MS,
    120_000,
    100,
    3_600_000,
  );
  const reportFile = await checkReportPath(flags.report, runtime.cwd);
  // DOCKER_HOST is input too: check it before git is asked anything (a dry run needs no engine).
  const engineClient = flags.dryRun || flags.assemble ? undefined : dockerFromEnv(runtime.env);
  const located = settings
    ? await buildPlan(settings, runtime, smokeSpecProblems)
    : await readPlanFile(flags.plan as string, flags, runtime);
  const target = parseRegistryTarget(located.plan.registry);
  const credentials =
    options.push && !flags.dryRun
      ? await resolveCredentials(target.host, runtime.env, { clock: runtime.clock, signal: runtime.signal })
      : undefined;
  runtime.redactor.add(credentials?.password, credentials?.username);
  // CI passes its own run id (GITHUB_RUN_ID) so containers and reports can be traced to a run.
  const runId = runtime.env.MESOS_PIPELINE_RUN_ID ?? runtime.env.GITHUB_RUN_ID ?? randomUUID();
  const registryFor = (): RegistryHttp =>
    new RegistryHttp({
      host: target.host,
      credentials,
      requestTimeoutMs,
      retry: { policy: retry, log, clock: runtime.clock, signal: runtime.signal },
    });
  // Docker Hub refuses manifest deletes: a rollback deletes a new tag through the Hub API,
  // on the rollback's own short deadline rather than the (maybe interrupted) run's signal.
  const tagDeleterFor =
    target.host === DOCKER_HUB && credentials
      ? () =>
          hubRollbackDeleter({
            credentials,
            log,
            clock: runtime.clock,
            budgetMs: runtime.signal.aborted ? INTERRUPTED_CLEANUP_TIMEOUT_MS : CLEANUP_TIMEOUT_MS,
          })
      : undefined;
  if (flags.assemble) {
    return runAssemble(
      {
        plan: located.plan,
        files: flags.assemble,
        push: options.push,
        dryRun: flags.dryRun ?? false,
        json: flags.json ?? false,
        summary: flags.summary ?? false,
        reportFile,
        runId,
        registry: options.push && !flags.dryRun ? registryFor() : undefined,
        tagDeleterFor,
        credentials,
        retry,
        clock: runtime.clock,
        log,
        printResults: (report) => printResults(report, flags.json ?? false, runtime),
      },
      runtime,
    );
  }
  if (flags.platform !== undefined) {
    checkPlatform(flags.platform, located.plan);
    options.stage = { platform: flags.platform, id: runId, day: utcDay(runtime.clock.now()) };
  }
  if (!engineClient) {
    // The plan as it travels: folders relative, as `plan --json` writes them.
    printPlan(located.plan, flags.json ?? false, runtime);
    return 0;
  }
  const plan = applyFamily(located.plan, located.family);
  const family = located.family;
  const specs = await loadSmokeSpecs(family);
  const hostRoot = await hostRootOf(runtime.env, runtime.cwd);

  const { docker, address } = engineClient;
  const engine = new DockerImageEngine(docker, address, { stallTimeoutMs, clock: runtime.clock });
  const info = await engine.info(runtime.signal);
  log.debug(
    `engine ${info.address}: Docker ${info.serverVersion}, cgroup v${info.cgroupVersion} (${info.cgroupDriver})`,
  );

  // Fail in seconds, not after an hour's compile: can this host run the service tests, and is
  // every download pinned? Nothing has been built or locked yet.
  const checked = await preflight(
    plan,
    family,
    new LocalHostFacts({ engine: info, hostname: hostname(), root: hostRoot }),
    async (name) => {
      const image = family.images.find((candidate) => candidate.name === name);
      if (!image) throw new WorkError('preflight', `the plan names image ${name}, which ${family.file} does not`);
      return readFile(image.dockerfile, 'utf8');
    },
  );
  for (const warning of checked.warnings) log.warn(`preflight: ${warning}`);
  if (checked.problems.length > 0) throw new WorkError('preflight', preflightMessage(checked.problems));

  const locks: HeldLock[] = [];
  try {
    if (options.push) {
      for (const branch of plan.branches) {
        // Stage jobs of a branch (one per platform) touch only their own staging tags.
        const lock = await acquireLock(
          `${plan.registry}|${branch.branch}${options.stage ? `|stage ${options.stage.platform}` : ''}`,
        );
        if ('heldBy' in lock) {
          throw new WorkError(
            'lock',
            `another publish of ${branch.branch} to ${plan.registry} is running (${lock.heldBy}); wait for it to ` +
              `finish`,
          );
        }
        locks.push(lock);
      }
    }
    const deps: PublishDeps = {
      engine,
      containers: new DockerContainers(docker, runId, { log, clock: runtime.clock }),
      cgroups: new LocalHostCgroups(),
      registry: options.push ? registryFor() : undefined,
      tagDeleterFor,
      credentials,
      clock: runtime.clock,
      log,
      signal: runtime.signal,
      retry,
    };
    log.info(
      `publishing ${plan.branches.map((b) => b.branch).join(', ') || 'no branches'} to ${plan.registry} for ` +
        `${plan.date}${options.push ? '' : ' (build and test only: --no-push)'}` +
        `${options.stage ? `, ${options.stage.platform} only${options.push ? ', to staging tags' : ''}` : ''}`,
    );
    let report: RunReport;
    try {
      report = await publish(plan, deps, options, sharedOf(specs, flags.compileCache ?? true, runId), runId);
    } finally {
      // Tags a BuildKit build of this run used for a base: none outlives the run, except the only
      // name of an image kept with --keep (removing it would remove the image).
      const kept = await engine
        .releaseRunTags()
        .catch((error: unknown) => [`(could not remove the run's tags: ${errorMessage(error)})`]);
      if (kept.length > 0) log.warn(`kept images are known only by this run's tag: ${kept.join(', ')}`);
    }
    if (reportFile) await writeFile(reportFile, `${runtime.redactor.redact(JSON.stringify(report, null, 2))}\n`);
    printResults(report, flags.json ?? false, runtime);
    await writeRunSummary([report], runtime, flags.summary ?? false, log);
    if (files?.problem) log.warn(`the branch log files are incomplete: ${files.problem}`);
    return runExitCode(report, runtime.signal);
  } finally {
    await Promise.all(locks.map((lock) => lock.release()));
  }
}
