import { describe, expect, it } from 'vitest';
import { computeTags } from '../../tags/compute.js';

describe('computeTags', () => {
  it.each([
    [{ branch: 'master', day: '2026-11-27' }, ['master-2026-11-27', 'master']],
    [{ branch: '1.7.x', day: '2026-11-27' }, ['1.7.x-2026-11-27', '1.7.x']],
    [{ branch: '1.11.x', day: '2026-11-27' }, ['1.11.x-2026-11-27', '1.11.x']],
    [{ branch: '1.11.x', day: '2026-11-27', versionTag: '1.11.0' }, ['1.11.x-2026-11-27', '1.11.x', '1.11.0']],
    [{ branch: '10.12.x', day: '2027-01-01', versionTag: '10.12.10' }, ['10.12.x-2027-01-01', '10.12.x', '10.12.10']],
  ])('%o -> %o (dated first, then floating, then version)', (input, tags) => {
    expect(computeTags(input)).toEqual(tags);
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
    expect(computeTags({ branch, day: '2026-11-27' })[0]).toHaveLength(128);
  });
});
