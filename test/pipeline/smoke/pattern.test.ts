import { describe, expect, it } from 'vitest';
import { compilePattern, translatePattern } from '../../../pipeline/smoke/pattern.js';

describe('translatePattern: RE2 as c-s-t writes it, to JavaScript', () => {
  it.each([
    ['plain', '^mesos 1\\.11\\.\\d+$', '^mesos 1\\.11\\.\\d+$', 'm'],
    ['a leading (?i)', '(?i)usage', 'usage', 'mi'],
    ['a leading (?is)', '(?is)a.b', 'a.b', 'mis'],
    ['(?m), which is always on', '(?m)^x', '^x', 'm'],
    ['\\A and \\z', '\\Ax\\z', '(?<![\\s\\S])x(?![\\s\\S])', 'm'],
    ['an escaped backslash before A', '\\\\A', '\\\\A', 'm'],
    ['\\A inside a class stays', '[\\A]', '[\\A]', 'm'],
    ['a named group', '(?P<v>\\d+)', '(?<v>\\d+)', 'm'],
    ['a POSIX class', '[[:digit:][:upper:]_]+', '[0-9A-Z_]+', 'm'],
    ['a ] first in a class', '[]a]', '[\\]a]', 'm'],
    ['a ] first in a negated class', '[^]a]', '[^\\]a]', 'm'],
  ])('%s', (_, pattern, source, flags) => {
    expect(translatePattern(pattern)).toEqual({ source, flags });
  });

  it.each([
    ['(?U)a+', /\(\?U\) \(ungreedy\) has no JavaScript equivalent/],
    ['[[:alpah:]]', /unknown POSIX class \[:alpah:\]; the classes are alnum, alpha/],
    ['[[:^digit:]]', /unknown POSIX class \[:\^digit:\]/],
    ['a(?i)b', /Invalid group/],
  ])('refuses %s', (pattern, message) => {
    expect(() => compilePattern(pattern)).toThrow(message);
  });

  it('matches what the RE2 pattern matched', () => {
    expect(compilePattern('(?i)\\Ausage:').test('Usage: apt-get')).toBe(true);
    expect(compilePattern('\\Ausage:').test('x\nusage:')).toBe(false);
    expect(compilePattern('^usage:').test('x\nusage:')).toBe(true);
    expect(compilePattern('done\\z').test('done\n')).toBe(false);
    expect(compilePattern('done$').test('done\n')).toBe(true);
  });
});
