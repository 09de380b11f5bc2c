import path from 'node:path';
import { z } from 'zod';
import { stderrLogger, type Runtime } from '../settings/runtime.js';
import { InputError, errorMessage } from '../errors.js';
import { readJsonConfig } from '../family/json-config.js';
import {
  architectureOf,
  branchPlatforms,
  RUNNER_ARCHITECTURES,
  runnerMatrix,
  type RunnerLabels,
} from '../plan/runner-matrix.js';

export interface MatrixFlags {
  hostedRunner: string;
  cgroupV1Runner: string;
  armRunner: string;
  armCgroupV1Runner: string;
}

// Only what routing needs: the matrix reads plans of this version and of others alike.
const routedPlanSchema = z.looseObject({
  branches: z.array(
    z.looseObject({
      branch: z.string().min(1),
      host: z
        .looseObject({
          cgroupVersions: z
            .array(z.union([z.literal(1), z.literal(2)], { message: 'must be 1 or 2' }))
            .min(1, 'must name at least one cgroup version (1 or 2)'),
          privileged: z.boolean(),
        })
        .optional(),
      images: z.array(z.looseObject({ platforms: z.array(z.string().min(1)).min(1).optional() })).optional(),
    }),
  ),
});

function labelsOf(option: string, text: string): string[] {
  const labels = text
    .split(',')
    .map((label) => label.trim())
    .filter(Boolean);
  if (labels.length === 0 || labels.some((label) => /\s/.test(label)))
    throw new InputError(`${option} "${text}": give runner labels separated by commas, for example ubuntu-24.04`);
  return labels;
}

/**
 * `mesos-pipeline matrix plan.json`: the nightly's build matrix as one line of JSON, one entry per
 * branch and platform,
 * `{"include":[{"branch":"1.11.x","platform":"linux/arm64","arch":"arm64","runner":[...],"cgroup":1},...]}`,
 * for `strategy.matrix` and `runs-on: ${{ matrix.runner }}`.
 */
export async function runMatrix(file: string, flags: MatrixFlags, runtime: Runtime): Promise<number> {
  const log = stderrLogger(runtime);
  const labels: RunnerLabels = {
    hosted: labelsOf('--hosted-runner', flags.hostedRunner),
    cgroupV1: labelsOf('--cgroup-v1-runner', flags.cgroupV1Runner),
    arm: labelsOf('--arm-runner', flags.armRunner),
    armCgroupV1: labelsOf('--arm-cgroup-v1-runner', flags.armCgroupV1Runner),
  };
  const plan = await readJsonConfig(path.resolve(runtime.cwd, file), routedPlanSchema, {
    label: file,
    unreadable: (error) =>
      new InputError(
        `${file}: cannot read a JSON plan (${errorMessage(error)}); make one with mesos-pipeline plan --json`,
      ),
  });
  plan.branches.forEach((branch, index) => {
    if (!branch.host)
      log.warn(
        `${file}: branches[${index}] (${branch.branch}) has no host needs, a plan from an older mesos-pipeline; it ` +
          `goes to the cgroup v1 runner`,
      );
  });
  plan.branches.forEach((branch, index) => {
    const other = branchPlatforms(branch).find(
      (platform) => !(RUNNER_ARCHITECTURES as readonly string[]).includes(architectureOf(platform)),
    );
    if (other)
      throw new InputError(
        `${file}: branches[${index}] (${branch.branch}) is built for ${other}, and no runner is known for it; ` +
          `platforms must be of ${RUNNER_ARCHITECTURES.map((arch) => `linux/${arch}`).join(' or ')}`,
      );
  });
  runtime.stdout.write(`${JSON.stringify(runnerMatrix(plan.branches, labels))}\n`);
  return 0;
}
