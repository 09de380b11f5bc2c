import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../pipeline/cli/run-cli.js';
import { architectureOf, runnerMatrix } from '../../../pipeline/plan/runner-matrix.js';
import { testRuntime } from '../../helpers/runtime.js';

const labels = {
  hosted: ['ubuntu-24.04'],
  cgroupV1: ['self-hosted', 'linux', 'x64', 'cgroup-v1'],
  arm: ['ubuntu-24.04-arm'],
  armCgroupV1: ['self-hosted', 'linux', 'arm64', 'cgroup-v1'],
};
const AMD = { platform: 'linux/amd64', arch: 'amd64' };
const ARM = { platform: 'linux/arm64', arch: 'arm64' };
const both = [{ platforms: ['linux/amd64', 'linux/arm64'] }, { platforms: ['linux/amd64', 'linux/arm64'] }];

describe('runnerMatrix', () => {
  it.each([
    ['cgroup v1 only', [1], labels.cgroupV1, 1],
    ['cgroup v2 only', [2], labels.hosted, 2],
    ['both', [1, 2], labels.hosted, 2],
    ['both, listed the other way', [2, 1], labels.hosted, 2],
  ])('sends a branch that runs on %s to %j', (_, cgroupVersions, runner, cgroup) => {
    expect(runnerMatrix([{ branch: '1.11.x', host: { cgroupVersions, privileged: true } }], labels)).toEqual({
      include: [{ branch: '1.11.x', ...AMD, runner, cgroup }],
    });
  });

  it('sends a branch without host needs where every branch used to go: the cgroup v1 runner', () => {
    expect(runnerMatrix([{ branch: 'master' }], labels).include).toEqual([
      { branch: 'master', ...AMD, runner: labels.cgroupV1, cgroup: 1 },
    ]);
  });

  it.each([
    ['cgroup v1 only', [1], labels.cgroupV1, labels.armCgroupV1, 1],
    ['cgroup v2 only', [2], labels.hosted, labels.arm, 2],
    ['both', [1, 2], labels.hosted, labels.arm, 2],
  ])(
    'sends each platform of a two-platform branch that runs on %s to a runner of its architecture',
    (_, cgroupVersions, amd, arm, cgroup) => {
      expect(
        runnerMatrix([{ branch: '1.11.x', host: { cgroupVersions, privileged: true }, images: both }], labels).include,
      ).toEqual([
        { branch: '1.11.x', ...AMD, runner: amd, cgroup },
        { branch: '1.11.x', ...ARM, runner: arm, cgroup },
      ]);
    },
  );

  it('makes one job per branch and platform, in plan order, platforms in the order images first name them', () => {
    const host = { cgroupVersions: [2], privileged: true };
    const matrix = runnerMatrix(
      [
        {
          branch: 'master',
          host,
          images: [{ platforms: ['linux/arm64'] }, { platforms: ['linux/amd64', 'linux/arm64'] }],
        },
        { branch: '1.11.x', host, images: [{}, {}] },
      ],
      labels,
    );
    expect(matrix.include.map((entry) => `${entry.branch} ${entry.platform} ${entry.runner.join(',')}`)).toEqual([
      'master linux/arm64 ubuntu-24.04-arm',
      'master linux/amd64 ubuntu-24.04',
      '1.11.x linux/amd64 ubuntu-24.04',
    ]);
  });

  it('never sends a platform to a runner of another architecture (no compile under emulation)', () => {
    const host = { cgroupVersions: [1], privileged: true };
    for (const entry of runnerMatrix([{ branch: 'b', host, images: both }], labels).include)
      expect(entry.runner.some((label) => label.includes(entry.arch === 'amd64' ? 'arm64' : 'x64'))).toBe(false);
  });

  it('throws for a platform without a runner architecture', () => {
    expect(() => runnerMatrix([{ branch: 'b', images: [{ platforms: ['linux/s390x'] }] }], labels)).toThrow(
      /b: no runner for linux\/s390x/,
    );
  });
});

describe('mesos-pipeline matrix', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mp-matrix-cli-'));
  const planFile = (plan: unknown): string => {
    const file = path.join(dir, `plan-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, typeof plan === 'string' ? plan : JSON.stringify(plan));
    return file;
  };

  it('prints one line of JSON for $GITHUB_OUTPUT, with the labels given', async () => {
    const runtime = testRuntime();
    const file = planFile({
      version: 2,
      branches: [
        { branch: '1.11.x', host: { cgroupVersions: [1], privileged: true } },
        { branch: 'master', host: { cgroupVersions: [1, 2], privileged: true } },
      ],
    });
    const code = await runCli(
      ['matrix', file, '--hosted-runner', 'ubuntu-24.04', '--cgroup-v1-runner', 'a, b'],
      runtime,
    );
    expect(code).toBe(0);
    expect(runtime.stdout.text).toBe(
      '{"include":[{"branch":"1.11.x","platform":"linux/amd64","arch":"amd64","runner":["a","b"],"cgroup":1},' +
        '{"branch":"master","platform":"linux/amd64","arch":"amd64","runner":["ubuntu-24.04"],"cgroup":2}]}\n',
    );
    expect(runtime.stderr.text).toBe('');
  });

  it('warns about a plan without host needs and routes it to the cgroup v1 runner', async () => {
    const runtime = testRuntime();
    expect(await runCli(['matrix', planFile({ branches: [{ branch: '1.7.x' }] })], runtime)).toBe(0);
    expect(JSON.parse(runtime.stdout.text)).toEqual({
      include: [{ branch: '1.7.x', ...AMD, runner: ['self-hosted', 'linux', 'x64', 'cgroup-v1'], cgroup: 1 }],
    });
    expect(runtime.stderr.text).toMatch(/^warning: .*branches\[0\] \(1\.7\.x\) has no host needs/);
  });

  it.each([
    [
      { branches: [{ branch: 'x', host: { cgroupVersions: [], privileged: true } }] },
      /branches\[0\]\.host\.cgroupVersions: must name at least one cgroup version/,
    ],
    [
      { branches: [{ branch: 'x', host: { cgroupVersions: [3], privileged: true } }] },
      /branches\[0\]\.host\.cgroupVersions\[0\]: must be 1 or 2/,
    ],
    [{ nothing: true }, /branches: /],
    ['{not json', /cannot read a JSON plan/],
  ])('refuses a bad plan with exit 2, naming the field: %j', async (plan, message) => {
    const runtime = testRuntime();
    expect(await runCli(['matrix', planFile(plan)], runtime)).toBe(2);
    expect(runtime.stderr.text).toMatch(message);
    expect(runtime.stdout.text).toBe('');
  });

  it('routes each platform of a plan with platforms, arm64 to the --arm-runner labels given', async () => {
    const runtime = testRuntime();
    const file = planFile({
      branches: [
        {
          branch: 'master',
          host: { cgroupVersions: [2], privileged: true },
          images: [{ name: 'a', platforms: ['linux/amd64', 'linux/arm64'] }],
        },
        {
          branch: '1.11.x',
          host: { cgroupVersions: [1], privileged: true },
          images: [{ name: 'a', platforms: ['linux/arm64'] }],
        },
      ],
    });
    expect(
      await runCli(['matrix', file, '--arm-runner', 'arm-hosted', '--arm-cgroup-v1-runner', 'x,arm1'], runtime),
    ).toBe(0);
    expect(
      (
        JSON.parse(runtime.stdout.text) as { include: { branch: string; arch: string; runner: string[] }[] }
      ).include.map((entry) => [entry.branch, entry.arch, entry.runner]),
    ).toEqual([
      ['master', 'amd64', ['ubuntu-24.04']],
      ['master', 'arm64', ['arm-hosted']],
      ['1.11.x', 'arm64', ['x', 'arm1']],
    ]);
  });

  it('refuses a plan with a platform no runner exists for, with exit 2', async () => {
    const runtime = testRuntime();
    const file = planFile({ branches: [{ branch: 'm', images: [{ platforms: ['linux/riscv64'] }] }] });
    expect(await runCli(['matrix', file], runtime)).toBe(2);
    expect(runtime.stderr.text).toMatch(/branches\[0\] \(m\) is built for linux\/riscv64, and no runner is known/);
  });

  it('refuses empty runner labels', async () => {
    const runtime = testRuntime();
    expect(await runCli(['matrix', planFile({ branches: [] }), '--hosted-runner', ' , '], runtime)).toBe(2);
    expect(runtime.stderr.text).toMatch(/^error: --hosted-runner " , ": give runner labels separated by commas/);
  });
});

describe('runnerMatrix for a platform no runner exists for', () => {
  it('refuses it, naming the branch, the platform and the architectures there are runners for', () => {
    expect(() => runnerMatrix([{ branch: '1.11.x', images: [{ platforms: ['linux/s390x'] }] }], labels)).toThrow(
      new RangeError('1.11.x: no runner for linux/s390x; runners exist for amd64, arm64'),
    );
  });
});

describe('architectureOf', () => {
  it.each([
    ['linux/arm64/v8', 'arm64'],
    ['linux/amd64', 'amd64'],
    ['linux', ''],
  ])('%s -> %j', (platform, arch) => {
    expect(architectureOf(platform)).toBe(arch);
  });
});
