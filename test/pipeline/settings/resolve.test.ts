import { describe, expect, it } from 'vitest';
import { InputError } from '../../../pipeline/errors.js';
import { resolveSetting, resolveText } from '../../../pipeline/settings/resolve.js';

const NAME = { flag: '--registry', env: 'MESOS_PIPELINE_REGISTRY' };

describe('resolveSetting: flag, else environment variable, else default, and says which', () => {
  it.each([
    ['flag over env', 'a', { MESOS_PIPELINE_REGISTRY: 'b' }, { value: 'a', source: 'flag', from: '--registry' }],
    ['env without flag', undefined, { MESOS_PIPELINE_REGISTRY: 'b' }, { value: 'b', source: 'env', from: NAME.env }],
    ['an empty env value counts', undefined, { MESOS_PIPELINE_REGISTRY: '' }, { value: '', source: 'env' }],
    ['default', undefined, {}, { value: 'd', source: 'default', from: 'default' }],
  ])('%s', (_, flag, env, expected) => {
    expect(resolveText(NAME, { flag, env, fallback: 'd' })).toMatchObject(expected);
  });

  it('a setting with no flag ignores a flag value', () => {
    const resolved = resolveText({ env: 'X' }, { flag: 'ignored', env: { X: 'x' }, fallback: 'd' });
    expect(resolved).toEqual({ value: 'x', source: 'env', from: 'X' });
  });

  it('hands parse the name the value came by', () => {
    const seen: string[] = [];
    const parse = (text: string, from: string): string => (seen.push(from), text);
    resolveSetting(NAME, { flag: 'a', env: {}, fallback: 'd' }, parse);
    resolveSetting(NAME, { flag: undefined, env: { MESOS_PIPELINE_REGISTRY: 'b' }, fallback: 'd' }, parse);
    resolveSetting({ env: 'ONLY_ENV' }, { flag: undefined, env: {}, fallback: 'd' }, parse);
    expect(seen).toEqual(['--registry', 'MESOS_PIPELINE_REGISTRY', 'ONLY_ENV']);
  });

  it.each([
    [
      'renames a flag-worded error to the variable',
      { MESOS_PIPELINE_REGISTRY: 'b' },
      '--registry "b": bad',
      /^MESOS_PIPELINE_REGISTRY "b": bad$/,
    ],
    ['leaves other errors alone', { MESOS_PIPELINE_REGISTRY: 'b' }, 'something "b": bad', /^something "b": bad$/],
  ])('%s', (_, env, message, expected) => {
    const fail = (): string => {
      throw new InputError(message);
    };
    expect(() => resolveSetting(NAME, { flag: undefined, env, fallback: 'd' }, fail)).toThrow(expected);
  });

  it('keeps a flag-worded error when the flag gave the value', () => {
    const fail = (): string => {
      throw new InputError('--registry "a": bad');
    };
    expect(() => resolveSetting(NAME, { flag: 'a', env: {}, fallback: 'd' }, fail)).toThrow(/^--registry "a": bad$/);
  });
});
