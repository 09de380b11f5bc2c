import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../pipeline/cli/run-cli.js';
import { runnerMatrix } from '../../../pipeline/plan/runner-matrix.js';
import { testRuntime } from '../../helpers/runtime.js';

const labels = { hosted: ['ubuntu-24.04'], cgroupV1: ['self-hosted', 'linux', 'x64', 'cgroup-v1'] };

describe('runnerMatrix', () => {
  it.each([
    ['cgroup v1 only', [1], labels.cgroupV1, 1],
    ['cgroup v2 only', [2], labels.hosted, 2],
    ['both', [1, 2], labels.hosted, 2],
    ['both, listed the other way', [2, 1], labels.hosted, 2],
  ])('sends a branch that runs on %s to %j', (_, cgroupVersions, runner, cgroup) => {
    expect(runnerMatrix([{ branch: '1.11.x', host: { cgroupVersions, privileged: true } }], labels)).toEqual({
      include: [{ branch: '1.11.x', runner, cgroup }],
    });
  });

  it('sends a branch without host needs where every branch used to go: the cgroup v1 runner', () => {
    expect(runnerMatrix([{ branch: 'master' }], labels).include).toEqual([
      { branch: 'master', runner: labels.cgroupV1, cgroup: 1 },
    ]);
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
      '{"include":[{"branch":"1.11.x","runner":["a","b"],"cgroup":1},' +
        '{"branch":"master","runner":["ubuntu-24.04"],"cgroup":2}]}\n',
    );
    expect(runtime.stderr.text).toBe('');
  });

  it('warns about a plan without host needs and routes it to the cgroup v1 runner', async () => {
    const runtime = testRuntime();
    expect(await runCli(['matrix', planFile({ branches: [{ branch: '1.7.x' }] })], runtime)).toBe(0);
    expect(JSON.parse(runtime.stdout.text)).toEqual({
      include: [{ branch: '1.7.x', runner: ['self-hosted', 'linux', 'x64', 'cgroup-v1'], cgroup: 1 }],
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

  it('refuses empty runner labels', async () => {
    const runtime = testRuntime();
    expect(await runCli(['matrix', planFile({ branches: [] }), '--hosted-runner', ' , '], runtime)).toBe(2);
    expect(runtime.stderr.text).toMatch(/^error: --hosted-runner " , ": give runner labels separated by commas/);
  });
});
