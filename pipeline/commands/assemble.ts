import { writeFile } from 'node:fs/promises';
import { acquireLock, type HeldLock } from '../adapters/run-lock.js';
import { WorkError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Plan } from '../plan/plan.js';
import type { Clock, ContainerRuntime, Credentials, HostCgroups, ImageEngine, Registry } from '../ports.js';
import { assembleBranch } from '../publish/assemble.js';
import { assemblePlan, stageReportsOf } from '../publish/assemble-plan.js';
import type { PublishDeps } from '../publish/context.js';
import { runExitCode } from '../publish/publish.js';
import { REPORT_VERSION, type BranchReport, type RunReport } from '../publish/report.js';
import { readReports } from '../report/read-reports.js';
import { writeRunSummary } from '../report/step-summary.js';
import type { RetryPolicy } from '../retry.js';
import type { TagDeleter } from '../registry/tag-deleter.js';
import type { Runtime } from '../settings/runtime.js';

/** What `publish --assemble` is given by `publish`: the plan, its flags and the registry client. */
export interface AssembleInput {
  plan: Plan;
  files: readonly string[];
  push: boolean;
  dryRun: boolean;
  json: boolean;
  summary: boolean;
  reportFile: string | undefined;
  runId: string;
  registry: Registry | undefined;
  tagDeleterFor: ((registry: Registry) => TagDeleter) | undefined;
  credentials: Credentials | undefined;
  retry: RetryPolicy;
  clock: Clock;
  log: Logger;
  printResults: (report: RunReport) => void;
}

// publish --assemble builds and runs nothing: the parts of PublishDeps it does not use refuse any call.
const nothingToBuild = new Proxy(
  {},
  { get: () => () => Promise.reject(new WorkError('assemble', 'publish --assemble builds and runs nothing')) },
) as ImageEngine & ContainerRuntime & HostCgroups;

/**
 * `publish --plan plan.json --assemble amd64.json arm64.json`: per branch of the plan, checks that
 * every platform's stage job passed, then publishes the index of each image from the staged
 * platform manifests (push.ts: dated tag, other tags, read-back, rollback), and deletes the
 * staging tags. `--dry-run` prints the assemble plan; `--no-push` only merges the stage outcomes.
 */
export async function runAssemble(input: AssembleInput, runtime: Runtime): Promise<number> {
  const read = await readReports(input.files, runtime.cwd);
  const reports = read.map((report, index) => ({ file: input.files[index] ?? '', report }));
  const planned = assemblePlan(input.plan, reports, input.push);
  if (input.dryRun) {
    runtime.stdout.write(`${JSON.stringify(planned, null, 2)}\n`);
    return 0;
  }
  const log = input.log;
  const started = input.clock.now();
  const locks: HeldLock[] = [];
  try {
    if (input.push)
      for (const branch of input.plan.branches) {
        const lock = await acquireLock(`${input.plan.registry}|${branch.branch}`);
        if ('heldBy' in lock)
          throw new WorkError(
            'lock',
            `another publish of ${branch.branch} to ${input.plan.registry} is running (${lock.heldBy}); wait for it ` +
              `to finish`,
          );
        locks.push(lock);
      }
    const deps: PublishDeps = {
      engine: nothingToBuild,
      containers: nothingToBuild,
      cgroups: nothingToBuild,
      registry: input.registry,
      tagDeleterFor: input.tagDeleterFor,
      credentials: input.credentials,
      clock: input.clock,
      log,
      signal: runtime.signal,
      retry: input.retry,
    };
    log.info(
      `assembling ${input.plan.branches.map((b) => b.branch).join(', ') || 'no branches'} for ${input.plan.date} ` +
        `from ${input.files.length} stage report${input.files.length === 1 ? '' : 's'}` +
        `${input.push ? '' : ' (--no-push: outcomes only)'}`,
    );
    const branches: BranchReport[] = [];
    for (const branch of input.plan.branches) {
      const assembled = planned.branches.find((candidate) => candidate.branch === branch.branch);
      if (!assembled) continue;
      branches.push(await assembleBranch(branch, assembled, stageReportsOf(branch, reports), deps, input.push));
    }
    const finished = input.clock.now();
    const failed = branches.some((branch) => branch.status === 'failed' || branch.status === 'interrupted');
    const options = read[0]?.options;
    const report: RunReport = {
      version: REPORT_VERSION,
      command: 'publish',
      runId: input.runId,
      date: input.plan.date,
      registry: input.plan.registry,
      repo: input.plan.repo,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      status: runtime.signal.aborted ? 'interrupted' : failed ? 'failed' : 'success',
      options: {
        push: input.push,
        force: options?.force ?? false,
        keep: options?.keep ?? false,
        ...(options?.compileCache !== undefined ? { compileCache: options.compileCache } : {}),
        ...(options?.rebuildAfterMs !== undefined ? { rebuildAfterMs: options.rebuildAfterMs } : {}),
      },
      branches,
    };
    if (input.reportFile)
      await writeFile(input.reportFile, `${runtime.redactor.redact(JSON.stringify(report, null, 2))}\n`);
    input.printResults(report);
    await writeRunSummary([report], runtime, input.summary, log);
    return runExitCode(report, runtime.signal);
  } finally {
    await Promise.all(locks.map((lock) => lock.release()));
  }
}
