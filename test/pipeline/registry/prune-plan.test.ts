import { describe, expect, it } from 'vitest';
import { parseDatedTag } from '../../../pipeline/registry/dated-tags.js';
import { isMesosBranch } from '../../../tags/index.js';
import { exclusiveDigests, planPrune, type TagDigest } from '../../../pipeline/registry/prune-plan.js';

describe('parseDatedTag', () => {
  it.each([
    ['master-2026-11-27', { branch: 'master', day: '2026-11-27' }],
    ['1.10.x-2026-01-02', { branch: '1.10.x', day: '2026-01-02' }],
    ['1.6.x-2019-05-01', { branch: '1.6.x', day: '2019-05-01' }],
    ['master', undefined],
    ['1.11.x', undefined],
    ['1.11.0', undefined],
    ['latest', undefined],
    ['1.11.x-2026-02-30', undefined],
    ['feature-2026-11-27', undefined],
    ['01.7.x-2026-11-27', undefined],
    ['master-2026-11-27-rc', undefined],
    ['master-20261127', undefined],
    ['master-latest', undefined],
    ['1.1.x-2026-01-02', { branch: '1.1.x', day: '2026-01-02' }],
  ])('%s -> %o', (tag, expected) => {
    expect(parseDatedTag(tag)).toEqual(expected ? { tag, ...expected } : undefined);
  });

  it.each([
    ['master', true],
    ['1.7.x', true],
    ['1.10.x', true],
    ['main', false],
    ['1.7', false],
    ['feature/1.8.x', false],
  ])('isMesosBranch(%s) is %s', (name, expected) => {
    expect(isMesosBranch(name)).toBe(expected);
  });
});

const now = new Date('2026-11-27T10:00:00Z');
const tags: TagDigest[] = [
  { tag: 'master', digest: 'sha256:new' },
  { tag: 'master-2026-11-27', digest: 'sha256:new' },
  { tag: 'master-2026-11-20', digest: 'sha256:new' },
  { tag: 'master-2026-11-19', digest: 'sha256:new' },
  { tag: 'master-2026-10-01', digest: 'sha256:old' },
  { tag: 'master-2026-10-02', digest: 'sha256:old' },
  { tag: '1.10.x', digest: 'sha256:ten' },
  { tag: '1.10.0', digest: 'sha256:release' },
  { tag: '1.10.x-2025-01-01', digest: 'sha256:release' },
  { tag: '1.10.x-2025-01-02', digest: undefined },
  { tag: 'latest', digest: 'sha256:latest' },
  { tag: 'weird-2020-01-01', digest: 'sha256:weird' },
];

describe('planPrune', () => {
  it.each([
    [7, [], '2026-11-20', ['master-2026-11-19', 'master-2026-10-01', 'master-2026-10-02', '1.10.x-2025-01-01']],
    [8, [], '2026-11-19', ['master-2026-10-01', 'master-2026-10-02', '1.10.x-2025-01-01']],
    [1, ['1.10.x'], '2026-11-26', ['1.10.x-2025-01-01']],
    [3650, [], '2016-11-29', []],
  ])('keep %i days of %o: cutoff %s', (keepDays, branches, cutoff, doomed) => {
    const plan = planPrune(tags, { keepDays, now, branches });
    expect(plan.cutoff).toBe(cutoff);
    expect(plan.doomed.map((entry) => entry.tag)).toEqual(doomed);
    // Floating, version and foreign tags always stay.
    expect(plan.kept.map((entry) => entry.tag)).toEqual(
      expect.arrayContaining(['master', '1.10.x', '1.10.0', 'latest', 'weird-2020-01-01']),
    );
  });

  it('marks doomed tags whose manifest a kept tag shares, and only the others are exclusive', () => {
    const plan = planPrune(tags, { keepDays: 7, now, branches: [] });
    expect(plan.doomed.map((entry) => [entry.tag, entry.shared])).toEqual([
      ['master-2026-11-19', true],
      ['master-2026-10-01', false],
      ['master-2026-10-02', false],
      ['1.10.x-2025-01-01', true],
    ]);
    expect([...exclusiveDigests(plan, new Set())]).toEqual(['sha256:old']);
    // A kept image index listing the manifest protects it too.
    expect([...exclusiveDigests(plan, new Set(['sha256:old']))]).toEqual([]);
  });

  it('counts days in UTC: just after midnight UTC is already the next day', () => {
    const plan = planPrune([{ tag: 'master-2026-11-20', digest: 'sha256:a' }], {
      keepDays: 7,
      now: new Date('2026-11-28T00:00:01Z'),
      branches: [],
    });
    expect(plan.doomed.map((entry) => entry.tag)).toEqual(['master-2026-11-20']);
  });
  // now is 2026-11-27: a stage run of the 25th or earlier is over (a run lasts hours, not days).
  it.each([
    ['stage-2026-11-25-123-1-master-arm64', [], true],
    ['stage-2026-10-01-9-1.11.x-amd64', ['master'], true],
    ['stage-2026-11-26-123-1-master-arm64', [], false],
    ['stage-2026-11-27-123-1-master-arm64', [], false],
    ['stage-2026-02-30-123-1-master-arm64', [], false],
    ['stage-123-1-master-arm64', [], false],
    ['stages-2026-11-01-1-master-arm64', [], false],
  ])('a staging tag %s (--branch %o): doomed %s, whatever --keep-days', (tag, branches, doomed) => {
    const plan = planPrune([{ tag, digest: 'sha256:staged' }], { keepDays: 3650, now, branches });
    expect(plan.doomed.map((entry) => entry.tag)).toEqual(doomed ? [tag] : []);
    expect(plan.kept.map((entry) => entry.tag)).toEqual(doomed ? [] : [tag]);
  });
});
