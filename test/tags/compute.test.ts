import { describe, expect, it } from 'vitest';
import { computeTags } from '../../tags/compute.js';
import { mapTagSet, movingTags, pushOrder } from '../../tags/tag-set.js';

describe('computeTags', () => {
  it.each([
    [
      { branch: 'master', day: '2026-11-27' },
      { dated: 'master-2026-11-27', floating: 'master', also: ['latest'] },
    ],
    [
      { branch: '1.7.x', day: '2026-11-27' },
      { dated: '1.7.x-2026-11-27', floating: '1.7.x' },
    ],
    [
      { branch: '1.11.x', day: '2026-11-27' },
      { dated: '1.11.x-2026-11-27', floating: '1.11.x' },
    ],
    [
      { branch: '1.11.x', day: '2026-11-27', versionTag: '1.11.0' },
      { dated: '1.11.x-2026-11-27', floating: '1.11.x', version: '1.11.0' },
    ],
    [
      { branch: '10.12.x', day: '2027-01-01', versionTag: '10.12.10' },
      { dated: '10.12.x-2027-01-01', floating: '10.12.x', version: '10.12.10' },
    ],
  ])('%o -> %o', (input, tags) => {
    expect(computeTags(input)).toStrictEqual(tags);
  });

  it.each([
    [{ branch: '-master', day: '2026-11-27' }, /tag "-master-2026-11-27" is not a valid Docker tag/],
    [{ branch: '.x', day: '2026-11-27' }, /not a valid Docker tag/],
    [{ branch: 'feature/1.8.x', day: '2026-11-27' }, /"feature\/1.8.x-2026-11-27" is not a valid Docker tag/],
    [{ branch: 'a'.repeat(118), day: '2026-11-27' }, /not a valid Docker tag/],
    [{ branch: '1.11.x', day: '2026-11-27', versionTag: '1.11.0+build' }, /"1.11.0\+build" is not a valid Docker tag/],
  ])('refuses %o instead of rewriting the tag', (input, message) => {
    expect(() => computeTags(input)).toThrow(message);
  });

  it('accepts the longest valid tag, 128 characters', () => {
    const branch = 'a'.repeat(128 - '-2026-11-27'.length);
    expect(computeTags({ branch, day: '2026-11-27' }).dated).toHaveLength(128);
  });
});

describe('tag sets', () => {
  const full = { dated: 'm-2026-11-27', floating: 'm', version: '1.0.0', also: ['latest', 'edge'] };

  it.each([
    [full, ['m-2026-11-27', 'm', '1.0.0', 'latest', 'edge']],
    [{ dated: 'd', floating: 'f' }, ['d', 'f']],
    [{ dated: 'd', floating: 'f', also: ['latest'] }, ['d', 'f', 'latest']],
  ])('push order of %o: dated first, then floating, version and the others', (tags, order) => {
    expect(pushOrder(tags)).toEqual(order);
    expect(movingTags(tags)).toEqual(order.slice(1));
  });

  it('maps every role and adds none', () => {
    expect(mapTagSet(full, (tag) => `r/n:${tag}`)).toStrictEqual({
      dated: 'r/n:m-2026-11-27',
      floating: 'r/n:m',
      version: 'r/n:1.0.0',
      also: ['r/n:latest', 'r/n:edge'],
    });
    expect(mapTagSet({ dated: 'd', floating: 'f' }, (tag) => tag.toUpperCase())).toStrictEqual({
      dated: 'D',
      floating: 'F',
    });
  });
});
