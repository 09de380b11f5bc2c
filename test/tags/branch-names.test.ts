import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MIN_VERSION,
  branchVersion,
  compareBranches,
  isMesosBranch,
  parseMinVersion,
} from '../../tags/branch-names.js';

describe('branch names', () => {
  it('plans from 1.7.x by default (the issue: every release branch from 1.7.x on)', () => {
    expect(DEFAULT_MIN_VERSION).toBe('1.7');
  });

  it.each([
    ['1.7', '1.7.0'],
    ['1.10', '1.10.0'],
    ['10.1', '10.1.0'],
    ['0.28', '0.28.0'],
    ['2.0', '2.0.0'],
  ])('--min-version %s is %s', (text, version) => {
    expect(parseMinVersion(text)).toBe(version);
  });

  it.each(['1', '1.7.0', '01.7', '1.07', 'x', '', '1.x', 'v1.7'])('--min-version %j is refused', (text) => {
    expect(() => parseMinVersion(text)).toThrow(`--min-version "${text}" is not MAJOR.MINOR, for example 1.7`);
  });

  it.each([
    ['1.10.x', '1.10.0'],
    ['10.0.x', '10.0.0'],
    ['master', undefined],
    ['1.7.x-rc', undefined],
    ['01.7.x', undefined],
  ])('branchVersion(%s) is %s', (branch, version) => {
    expect(branchVersion(branch)).toBe(version);
    expect(isMesosBranch(branch)).toBe(branch === 'master' || version !== undefined);
  });

  // Release branches by number, then every other name (master) after them, in either order given.
  it.each([
    ['1.9.x', '1.10.x', -1],
    ['1.10.x', '1.9.x', 1],
    ['1.10.x', '1.10.x', 0],
    ['1.11.x', 'master', -1],
    ['master', '1.11.x', 1],
    ['master', 'master', 0],
    ['feature', 'master', -1],
    // Release branches come first even before names that sort ahead of digits.
    ['1.7.x', '-next', -1],
    ['-next', '1.7.x', 1],
  ])('compareBranches(%s, %s) has the sign of %d', (a, b, sign) => {
    expect(Math.sign(compareBranches(a, b))).toBe(sign);
  });

  it('sorts a mixed list: release branches by number, master last', () => {
    expect(['master', '1.10.x', '1.7.x', '1.9.x', '1.11.x'].sort(compareBranches)).toEqual([
      '1.7.x',
      '1.9.x',
      '1.10.x',
      '1.11.x',
      'master',
    ]);
  });
});
