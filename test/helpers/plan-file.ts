import { writeFileSync } from 'node:fs';
import type { Plan } from '../../pipeline/plan/plan.js';
import { runBuiltCli, type CliResult } from './cli.js';
import { fixtureFamily } from './paths.js';

// What the plan tests share: `mesos-pipeline plan --json` run as users run it, and a plan written
// to a file for `publish --plan`.

export interface PlanOptions {
  repo: string;
  /** The image family; the fixture family unless given. */
  images?: string;
  registry?: string;
  date?: string;
  branches?: string[];
}

/** `mesos-pipeline plan --json` with these options, as a process; the caller checks its outcome. */
export function runPlan(options: PlanOptions): Promise<CliResult> {
  return runBuiltCli([
    'plan',
    '--json',
    '--repo',
    options.repo,
    '--images',
    options.images ?? fixtureFamily,
    ...(options.registry ? ['--registry', options.registry] : []),
    ...(options.date ? ['--date', options.date] : []),
    ...(options.branches ?? []).flatMap((branch) => ['--branch', branch]),
  ]);
}

/** The plan `runPlan` prints; fails with its stderr when it exits other than 0. */
export async function makePlan(options: PlanOptions): Promise<Plan> {
  const made = await runPlan(options);
  if (made.code !== 0) throw new Error(`plan exited with ${made.code}: ${made.stderr}`);
  return JSON.parse(made.stdout) as Plan;
}

/** Writes `plan` (an object, or the text `plan --json` printed) to /tmp/<name>.json; returns the path. */
export function writePlanFile(name: string, plan: Plan | string): string {
  const file = `/tmp/${name}.json`;
  writeFileSync(file, typeof plan === 'string' ? plan : JSON.stringify(plan, null, 2));
  return file;
}
