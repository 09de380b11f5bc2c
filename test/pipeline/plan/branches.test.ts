import { describe, expect, it } from 'vitest';
import { eligibleBranches, releaseTagAt, selectBranches } from '../../../pipeline/plan/branches.js';
import type { RemoteRefs } from '../../../pipeline/ports.js';
import { compareBranches, parseMinVersion } from '../../../tags/index.js';

const sha = (n: number): string => n.toString(16).padStart(40, '0');

// The branch names of apache/mesos, the odd ones included (mesos-anchor.md, section 6).
const heads = new Map<string, string>([
  ['master', sha(1)],
  ['1.4.x', sha(2)],
  ['1.6.x', sha(3)],
  ['1.7.x', sha(4)],
  ['1.8.x', sha(5)],
  ['1.9.x', sha(6)],
  ['1.10.x', sha(7)],
  ['1.11.x', sha(8)],
  ['1.7.x-rc', sha(9)],
  ['feature/1.8.x', sha(10)],
  ['dependabot/bundler/site/nokogiri-1.14.3', sha(11)],
  ['revert-433-fix-SlaveRecoveryTest.PingTimeoutDuringRecovery', sha(12)],
  ['refs/remotes/0.10.x', sha(13)],
  ['refs/pull/422/head', sha(14)],
  ['01.7.x', sha(15)],
  ['1.7.X', sha(16)],
  ['v1.9.x', sha(17)],
]);
const tags = new Map<string, string>([
  ['1.11.0', sha(8)],
  ['1.11.0-rc1', sha(8)],
  ['1.10.0-rc1', sha(7)],
  ['1.7.0', sha(100)],
]);
const refs: RemoteRefs = { heads, tags };

describe('eligibleBranches', () => {
  it('keeps master and N.N.x from 1.7 on, ordered numerically with master last', () => {
    expect(eligibleBranches(refs, '1.7.0').map((b) => b.branch)).toEqual([
      '1.7.x',
      '1.8.x',
      '1.9.x',
      '1.10.x',
      '1.11.x',
      'master',
    ]);
  });

  it.each([
    ['1.10.0', ['1.10.x', '1.11.x', 'master']],
    ['1.4.0', ['1.4.x', '1.6.x', '1.7.x', '1.8.x', '1.9.x', '1.10.x', '1.11.x', 'master']],
    ['2.0.0', ['master']],
  ])('with minimum %s', (min, expected) => {
    expect(eligibleBranches(refs, min).map((b) => b.branch)).toEqual(expected);
  });

  it('carries the full sha of each branch and the release tag only where the head is a release', () => {
    const byName = new Map(eligibleBranches(refs, '1.7.0').map((b) => [b.branch, b]));
    expect(byName.get('1.11.x')).toEqual({ branch: '1.11.x', sha: sha(8), releaseTag: '1.11.0' });
    expect(byName.get('1.10.x')).toEqual({ branch: '1.10.x', sha: sha(7), releaseTag: undefined });
    expect(byName.get('master')?.sha).toBe(sha(1));
  });
});

describe('compareBranches', () => {
  it.each([
    ['1.9.x', '1.10.x', -1],
    ['1.10.x', '1.9.x', 1],
    ['2.0.x', '10.0.x', -1],
    ['1.11.x', 'master', -1],
    ['master', '1.7.x', 1],
    ['1.7.x', '1.7.x', 0],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareBranches(a, b))).toBe(sign);
  });
});

describe('releaseTagAt', () => {
  it.each([
    ['1.11.x', new Map([['1.11.0', sha(1)]]), '1.11.0'],
    ['1.11.x', new Map([['1.11.0-rc1', sha(1)]]), undefined],
    [
      '1.7.x',
      new Map([
        ['1.7.0-rc3', sha(1)],
        ['1.7.0', sha(1)],
      ]),
      '1.7.0',
    ],
    [
      '1.7.x',
      new Map([
        ['1.7.0', sha(1)],
        ['1.7.1', sha(1)],
      ]),
      '1.7.1',
    ],
    ['1.11.x', new Map([['1.10.0', sha(1)]]), undefined],
    // Its minor, another major: not its release.
    ['1.11.x', new Map([['2.11.0', sha(1)]]), undefined],
    ['1.11.x', new Map([['v1.11.0', sha(1)]]), undefined],
    ['1.11.x', new Map([['1.11.0', sha(2)]]), undefined],
    ['master', new Map([['1.12.0', sha(1)]]), undefined],
    // A major or a patch of two digits is a release too.
    ['10.0.x', new Map([['10.0.0', sha(1)]]), '10.0.0'],
    ['1.9.x', new Map([['1.9.10', sha(1)]]), '1.9.10'],
  ])('%s with tags %o -> %s', (branch, tagMap, expected) => {
    expect(releaseTagAt(branch, sha(1), tagMap)).toBe(expected);
  });
});

describe('selectBranches', () => {
  const eligible = eligibleBranches(refs, '1.7.0');

  it('plans every eligible branch by default and only the requested ones otherwise', () => {
    expect(selectBranches(eligible, [], 'repo', '1.7.0')).toHaveLength(6);
    expect(selectBranches(eligible, ['1.10.x'], 'repo', '1.7.0').map((b) => b.branch)).toEqual(['1.10.x']);
    expect(selectBranches(eligible, ['master', '1.8.x'], 'repo', '1.7.0').map((b) => b.branch)).toEqual([
      '1.8.x',
      'master',
    ]);
  });

  it.each([
    ['1.6.x', /--branch "1.6.x" is older than the oldest supported release branch 1.7.x/],
    ['1.12.x', /--branch "1.12.x" is not a branch of repo/],
    ['1.7.x-rc', /--branch "1.7.x-rc" is not master or a release branch named N.N.x \(1.7.x or later\)/],
    ['feature/1.8.x', /is not master or a release branch/],
    ['main', /is not master or a release branch/],
  ])('refuses %s and lists the eligible branches instead of falling back to master', (name, message) => {
    expect(() => selectBranches(eligible, [name], 'repo', '1.7.0')).toThrow(message);
    expect(() => selectBranches(eligible, [name], 'repo', '1.7.0')).toThrow(
      /eligible branches: 1.7.x, 1.8.x, 1.9.x, 1.10.x, 1.11.x, master$/,
    );
  });
});

describe('selectBranches with no eligible branch', () => {
  it('says there is none, rather than an empty list', () => {
    expect(() => selectBranches([], ['master'], 'repo', '1.7.0')).toThrow(
      '--branch "master" is not a branch of repo; eligible branches: (none)',
    );
  });
});

describe('parseMinVersion', () => {
  it.each([
    ['1.7', '1.7.0'],
    ['1.10', '1.10.0'],
    ['2.0', '2.0.0'],
  ])('%s', (text, version) => {
    expect(parseMinVersion(text)).toBe(version);
  });
  it.each(['1', '1.7.0', '1.x', 'one', '01.7'])('rejects %s', (text) => {
    expect(() => parseMinVersion(text)).toThrow(/--min-version .* is not MAJOR.MINOR/);
  });
});
