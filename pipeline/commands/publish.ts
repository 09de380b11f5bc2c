import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveCredentials } from '../adapters/credentials.js';
import { dockerFromEnv } from '../adapters/docker-client.js';
import { DockerHubTagDeleter } from '../adapters/docker-hub-tags.js';
import { DockerContainers } from '../adapters/docker-containers.js';
import { DockerImageEngine } from '../adapters/docker-engine.js';
import { contextDigest } from '../adapters/build-context.js';
import { LocalHostCgroups } from '../adapters/host-cgroups.js';
import { RegistryHttp } from '../adapters/registry-http.js';
import { acquireLock, type HeldLock } from '../adapters/run-lock.js';
import { resolvePlanSettings, type PlanFlags } from '../cli/common-options.js';
import { registryRetryPolicy, wholeNumberOption } from '../cli/registry-options.js';
import type { Runtime } from '../cli/runtime.js';
import { InputError, WorkError } from '../errors.js';
import { StreamLogger } from '../log.js';
import { loadFamily } from '../family/family.js';
import type { Plan } from '../plan/plan.js';
import type { PublishDeps, PublishOptions, RunShared } from '../publish/context.js';
import { publish, runExitCode } from '../publish/publish.js';
import type { RunReport } from '../publish/report.js';
import { writeRunSummary } from '../report/step-summary.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../retry.js';
import { parseSmokeSpec, smokeSpecProblems } from '../smoke/spec.js';
import type { SmokeSpec } from '../smoke/spec-schema.js';
import { DOCKER_HUB, parseRegistryTarget } from '../../tags/index.js';
import { readPlanFile } from './plan-file.js';
import { buildPlan, printPlan } from './plan.js';

export interface PublishFlags extends PlanFlags {
  dryRun?: boolean;
  push: boolean;
  keep?: boolean;
  force?: boolean;
  report?: string;
  json?: boolean;
  concurrency?: string;
  retries?: string;
  plan?: string;
  summary?: boolean;
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

async function loadSmokeSpecs(plan: Plan): Promise<Map<string, SmokeSpec>> {
  const family = await loadFamily(plan.imagesDir, smokeSpecProblems);
  const specs = new Map<string, SmokeSpec>();
  for (const image of family.images)
    specs.set(image.name, parseSmokeSpec(await readFile(image.smokeFile, 'utf8'), image.smokeFile));
  return specs;
}

function sharedOf(specs: Map<string, SmokeSpec>): RunShared {
  const digests = new Map<string, Promise<string>>();
  return {
    smokeSpecs: specs,
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

function printResults(report: RunReport, json: boolean, runtime: Runtime): void {
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
  const log = new StreamLogger({ sink: runtime.stderr, redactor: runtime.redactor, verbose: flags.verbose ?? false });
  // Either resolve the plan now, or apply one made earlier (the nightly's plan job).
  const settings = flags.plan === undefined ? resolvePlanSettings(flags, runtime) : undefined;
  const options: PublishOptions = {
    push: flags.push,
    keep: flags.keep ?? false,
    force: flags.force ?? false,
    concurrency: wholeNumber('--concurrency', flags.concurrency, DEFAULT_CONCURRENCY, 1, 16),
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
  const engineClient = flags.dryRun ? undefined : dockerFromEnv(runtime.env);
  const plan = settings
    ? await buildPlan(settings, runtime, smokeSpecProblems)
    : await readPlanFile(flags.plan as string, flags, runtime.cwd);
  const target = parseRegistryTarget(plan.registry);
  const credentials = options.push && !flags.dryRun ? await resolveCredentials(target.host, runtime.env) : undefined;
  runtime.redactor.add(credentials?.password, credentials?.username);
  if (!engineClient) {
    printPlan(plan, flags.json ?? false, runtime);
    return 0;
  }
  const specs = await loadSmokeSpecs(plan);

  const { docker, address } = engineClient;
  const engine = new DockerImageEngine(docker, address, { stallTimeoutMs });
  const info = await engine.info(runtime.signal);
  log.debug(
    `engine ${info.address}: Docker ${info.serverVersion}, cgroup v${info.cgroupVersion} (${info.cgroupDriver})`,
  );

  const locks: HeldLock[] = [];
  try {
    if (options.push) {
      for (const branch of plan.branches) {
        const lock = await acquireLock(`${plan.registry}|${branch.branch}`);
        if ('heldBy' in lock) {
          throw new WorkError(
            'lock',
            `another publish of ${branch.branch} to ${plan.registry} is running (${lock.heldBy}); wait for it to finish`,
          );
        }
        locks.push(lock);
      }
    }
    // CI passes its own run id (GITHUB_RUN_ID) so containers and reports can be traced to a run.
    const runId = runtime.env.MESOS_PIPELINE_RUN_ID ?? runtime.env.GITHUB_RUN_ID ?? randomUUID();
    const deps: PublishDeps = {
      engine,
      containers: new DockerContainers(docker, runId),
      cgroups: new LocalHostCgroups(),
      registry: options.push
        ? new RegistryHttp({
            host: target.host,
            credentials,
            requestTimeoutMs,
            retry: { policy: retry, log, clock: runtime.clock, signal: runtime.signal },
          })
        : undefined,
      // Docker Hub refuses manifest deletes: a rollback deletes a new tag through the Hub API,
      // on the rollback's own short deadline rather than the (maybe interrupted) run's signal.
      tagDeleterFor:
        target.host === DOCKER_HUB && credentials
          ? () =>
              new DockerHubTagDeleter({
                credentials,
                requestTimeoutMs: 5000,
                retry: { policy: { retries: 1, minDelayMs: 200, maxDelayMs: 1000 }, log, clock: runtime.clock },
              })
          : undefined,
      credentials,
      clock: runtime.clock,
      log,
      signal: runtime.signal,
      retry,
    };
    log.info(
      `publishing ${plan.branches.map((b) => b.branch).join(', ') || 'no branches'} to ${plan.registry} for ${plan.date}${options.push ? '' : ' (build and test only: --no-push)'}`,
    );
    const report = await publish(plan, deps, options, sharedOf(specs), runId);
    if (reportFile) await writeFile(reportFile, `${runtime.redactor.redact(JSON.stringify(report, null, 2))}\n`);
    printResults(report, flags.json ?? false, runtime);
    await writeRunSummary([report], runtime, flags.summary ?? false, log);
    return runExitCode(report, runtime.signal);
  } finally {
    await Promise.all(locks.map((lock) => lock.release()));
  }
}
