import { describe, expect, it } from 'vitest';
import { statusOf } from '../../pipeline/errors.js';
import { portKey } from '../../pipeline/ports.js';
import { textTable } from '../../pipeline/text-table.js';

describe('textTable', () => {
  it('pads every column but the last to its widest cell, two spaces apart, no trailing blanks', () => {
    expect(
      textTable([
        ['BRANCH', 'IMAGE', 'STATE'],
        ['1.11.x', 'mesos-centos', 'fresh'],
        ['master', 'mini', ''],
      ]),
    ).toBe(['BRANCH  IMAGE         STATE', '1.11.x  mesos-centos  fresh', 'master  mini'].join('\n'));
  });
  it('is empty for no rows', () => {
    expect(textTable([])).toBe('');
  });
});

describe('statusOf', () => {
  it.each([
    ['dockerode', { statusCode: 404 }, 404],
    ['Octokit', { status: 403 }, 403],
    ['neither', new Error('x'), undefined],
    ['a status that is no number', { status: '404' }, undefined],
    ['nothing', undefined, undefined],
  ])('%s', (_, error, status) => {
    expect(statusOf(error)).toBe(status);
  });
});

describe('portKey', () => {
  it.each([
    ['5050', '5050/tcp'],
    [8080, '8080/tcp'],
    ['53/udp', '53/udp'],
  ])('%s is %s', (port, key) => {
    expect(portKey(port)).toBe(key);
  });
});
