import { describe, expect, it } from 'vitest';
import { envMap, goExpand, resolveEnvVars } from '../../../pipeline/smoke/env-vars.js';

describe("goExpand: Go's os.Expand, which c-s-t applies to the values of variables it sets", () => {
  const env = new Map([
    ['PATH', '/usr/bin:/bin'],
    ['HOME', '/root'],
    ['1', 'one'],
  ]);
  it.each([
    ['/env/bin:$PATH', '/env/bin:/usr/bin:/bin'],
    ['${HOME}/x', '/root/x'],
    ['$HOME$HOME', '/root/root'],
    ['$UNSET-x', '-x'],
    ['${UNSET}', ''],
    ['a$', 'a$'],
    ['100$ off', '100$ off'],
    ['$1$2', 'one'],
    ['$$', ''],
    ['${}x', 'x'],
    ['${PATH', 'PATH'],
    ['$(date)', '$(date)'],
    ['FOO\\:BAR=BAZ', 'FOO\\:BAR=BAZ'],
  ])('%j -> %j', (text, expanded) => {
    expect(goExpand(text, (name) => env.get(name))).toBe(expanded);
  });
});

describe('resolveEnvVars and envMap', () => {
  it('expands each value against the given environment, not against the list itself', () => {
    const env = envMap(['PATH=/bin', 'EMPTY=', 'ODD', 'EQ=a=b']);
    expect([...env]).toEqual([
      ['PATH', '/bin'],
      ['EMPTY', ''],
      ['ODD', ''],
      ['EQ', 'a=b'],
    ]);
    expect(
      resolveEnvVars(
        [
          { key: 'VIRTUAL_ENV', value: '/env' },
          { key: 'PATH', value: '$VIRTUAL_ENV/bin:$PATH' },
        ],
        env,
      ),
    ).toEqual({ VIRTUAL_ENV: '/env', PATH: '/bin:/bin' });
  });
});
