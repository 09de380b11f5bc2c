import { describe, expect, it } from 'vitest';
import { formatAge, parseDuration } from '../../../pipeline/settings/duration.js';
import { assessFreshness } from '../../../pipeline/registry/freshness.js';

const H = 3_600_000;

describe('parseDuration', () => {
  it.each([
    ['36h', 36 * H],
    ['2d', 48 * H],
    ['90m', 1.5 * H],
    ['1d12h', 36 * H],
    ['1d0h30m', 24.5 * H],
    ['45s', 45_000],
    ['1m30s', 90_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration('--max-age', text)).toBe(ms);
  });

  it.each(['0h', '0d', '0d0h0m0s'])('refuses %o: it must be longer than zero', (text) => {
    expect(() => parseDuration('--max-age', text)).toThrow(
      `--max-age "${text}" must be longer than zero; for example 36h, 2d or 1d12h`,
    );
  });

  it.each(['3x', '', '36', 'h', '-1h', '1.5h', '36 h', '12h1d', '30s1m'])(
    'refuses %o naming the option and the form',
    (text) => {
      expect(() => parseDuration('--max-age', text)).toThrow(
        `--max-age "${text}" is not a duration; use whole numbers with d, h, m or s, for example 36h, 2d or 1d12h`,
      );
    },
  );

  it.each([
    [0, '0m'],
    [42 * 60_000, '42m'],
    [5 * H + 7 * 60_000, '5h 07m'],
    [34 * H, '1d 10h'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});

describe('assessFreshness', () => {
  const now = new Date('2026-11-27T10:00:00Z');
  const tags = new Map([
    [
      'fixture-base',
      ['master', 'master-2026-11-26', 'master-2026-11-20', '1.10.x-2026-11-25', '1.10.x', 'master-2026-12-01'],
    ],
    ['fixture-app', ['master', 'master-2026-11-27', '1.10.x']],
  ]);

  it.each([
    ['master', 'fixture-base', 'master-2026-11-26', 34 * H, 'ok'],
    ['master', 'fixture-app', 'master-2026-11-27', 10 * H, 'ok'],
    ['1.10.x', 'fixture-base', '1.10.x-2026-11-25', 58 * H, 'stale'],
    ['1.10.x', 'fixture-app', undefined, undefined, 'missing'],
    ['1.11.x', 'fixture-base', undefined, undefined, 'missing'],
  ])('%s %s: newest %s, %s ms old, %s', (branch, image, newest, ageMs, state) => {
    const rows = assessFreshness(tags, ['master', '1.10.x', '1.11.x'], now, 36 * H);
    expect(rows.find((row) => row.branch === branch && row.image === image)).toEqual({
      branch,
      image,
      ...(newest ? { newest: { tag: newest, branch, day: newest.slice(-10) }, ageMs } : {}),
      state,
    });
  });

  it('ignores tags dated after today: a mistyped --date must not hide a stopped nightly', () => {
    const rows = assessFreshness(
      new Map([['fixture-base', ['master-2026-12-01', 'master-2026-11-01']]]),
      ['master'],
      now,
      36 * H,
    );
    expect(rows.map((row) => [row.newest?.tag, row.state])).toEqual([['master-2026-11-01', 'stale']]);
  });
});
