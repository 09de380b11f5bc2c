import { describe, expect, it } from 'vitest';
import type { Family } from '../../../pipeline/family/family.js';
import type { HostDeclaration } from '../../../pipeline/family/family-schema.js';
import { makePlan } from '../../../pipeline/plan/plan.js';
import type { HostFact, HostFacts } from '../../../pipeline/ports.js';
import { preflight, preflightMessage } from '../../../pipeline/publish/preflight.js';

// The preflight's decisions, table-driven, on plans of the production shape: a base image with
// no needs and a privileged child on cgroup v1 (v1 or v2 on master) that needs kernel modules.
const MINI: HostDeclaration = {
  cgroupVersions: [1],
  privileged: true,
  kernelModules: ['br_netfilter', 'veth'],
  branches: { master: { cgroupVersions: [1, 2] } },
};
const PINNED =
  'FROM x\nARG Z_URL=https://example.org/z.tgz\nARG Z_SHA512=' +
  'a'.repeat(128) +
  '\nRUN curl -fsSL "$Z_URL" -o /tmp/z.tgz && echo "$Z_SHA512  /tmp/z.tgz" | sha512sum -c -\n';
const UNPINNED = PINNED.replace(/Z_SHA512=a+/, 'Z_SHA512=');

function family(host: HostDeclaration | undefined = MINI): Family {
  const image = (name: string, base?: string, declared?: HostDeclaration) => ({
    name,
    base,
    context: `/f/${name}`,
    dockerfile: `/f/${name}/Dockerfile`,
    smokeFile: `/f/${name}/smoke.json`,
    host: declared,
  });
  return { dir: '/f', file: '/f/images.json', images: [image('base'), image('mini', 'base', host)] };
}

function planFor(branches: string[], host?: HostDeclaration) {
  return makePlan({
    date: '2026-11-27',
    imagesDir: 'test/fixtures/family',
    createdAt: '2026-11-27T00:00:00.000Z',
    repo: 'https://github.com/apache/mesos.git',
    registry: { host: 'docker.io', namespace: 'mesos' },
    family: family(host),
    branches: branches.map((branch, index) => ({ branch, sha: String(index + 1).repeat(40) })),
  });
}

function host(
  cgroup: 1 | 2 | undefined,
  privileged: HostFact,
  missing: string[] = [],
  unknown: string[] = [],
): HostFacts {
  return {
    cgroupVersion: () => Promise.resolve(cgroup),
    privileged: () => Promise.resolve(privileged),
    kernelModules: (modules) =>
      Promise.resolve({
        missing: modules.filter((m) => missing.includes(m)),
        unknown: modules.filter((m) => unknown.includes(m)),
      }),
  };
}

const YES: HostFact = { status: 'yes' };
const run = (branches: string[], facts: HostFacts, dockerfile = PINNED, declared?: HostDeclaration) =>
  preflight(planFor(branches, declared), family(declared), facts, () => Promise.resolve(dockerfile));

describe('preflight', () => {
  it.each([
    ['a cgroup v1 host, privileged, every module', ['1.10.x', '1.11.x', 'master'], host(1, YES), []],
    ['a cgroup v2 host for master alone', ['master'], host(2, YES), []],
    [
      'a cgroup v2 host for v1-only branches',
      ['1.10.x', '1.11.x', 'master'],
      host(2, YES),
      ["1.10.x and 1.11.x need cgroup v1 for their service tests and this host's containers get cgroup v2"],
    ],
    [
      'a host that cannot run privileged containers',
      ['1.11.x'],
      host(1, { status: 'no', why: 'the engine cannot grant CAP_SYS_RESOURCE' }),
      ['1.11.x needs a privileged container, and the engine cannot grant CAP_SYS_RESOURCE'],
    ],
    [
      'a host without a module Docker in Docker needs',
      ['1.11.x', 'master'],
      host(1, YES, ['br_netfilter']),
      [
        '1.11.x and master need the kernel module br_netfilter, which this host lacks (neither loaded nor ' +
          'built in nor loadable)',
      ],
    ],
  ])('%s', async (_, branches, facts, problems) => {
    expect((await run(branches, facts)).problems).toEqual(problems);
  });

  it('says everything that is missing at once, in one line', async () => {
    const result = await run(['1.11.x'], host(2, { status: 'no', why: 'it is rootless' }, ['veth']), UNPINNED);
    expect(result.problems).toHaveLength(5);
    const line = preflightMessage(result.problems);
    expect(line).not.toContain('\n');
    expect(line).toBe(
      'preflight: this host cannot publish the plan, nothing was built: 1.11.x needs cgroup v1 for its ' +
        "service tests and this host's containers get cgroup v2; " +
        '1.11.x needs a privileged container, and it is rootless; ' +
        '1.11.x needs the kernel module veth, which this host lacks (neither loaded nor built in nor loadable); ' +
        'base: Z_SHA512 is empty; mini: Z_SHA512 is empty',
    );
  });

  it('only warns about what it cannot read from here', async () => {
    const result = await run(
      ['1.11.x'],
      host(undefined, { status: 'unknown', why: 'the engine runs elsewhere' }, [], ['veth', 'br_netfilter']),
    );
    expect(result.problems).toEqual([]);
    expect(result.warnings).toEqual([
      'cannot tell which cgroup version this host gives containers; not checked',
      'cannot tell whether a privileged container can run here (the engine runs elsewhere); not checked',
      'cannot tell whether this host has the kernel modules br_netfilter and veth; not checked',
    ]);
  });

  it('asks nothing of a host for images that declare no needs', async () => {
    const asked: string[] = [];
    const facts: HostFacts = {
      cgroupVersion: () => Promise.resolve(2),
      privileged: () => {
        asked.push('privileged');
        return Promise.resolve({ status: 'no', why: 'x' });
      },
      kernelModules: (modules) => {
        asked.push('modules');
        return Promise.resolve({ missing: [...modules], unknown: [] });
      },
    };
    expect(await run(['1.11.x'], facts, PINNED, {})).toEqual({ problems: [], warnings: [] });
    expect(asked).toEqual([]);
  });
});
