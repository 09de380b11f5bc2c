import { describe, expect, it } from 'vitest';
import { outputProblems } from '../../../pipeline/smoke/output-checks.js';
import { predicateFailure } from '../../../pipeline/smoke/predicates.js';
import type { Predicate } from '../../../pipeline/smoke/spec-schema.js';

// What a failed smoke check says is what a maintainer reads in the run report: exact texts here.

describe('outputProblems says what did not match and what was seen', () => {
  it.each<[string, string, string[], string[], string[]]>([
    ['all hold', 'mesos 1.11.0\n', ['^mesos'], ['ERROR'], []],
    [
      'an expected pattern is missing',
      'mesos 1.10.2\n',
      ['^mesos 1\\.11'],
      [],
      ['stdout does not match /^mesos 1\\.11/ (was "mesos 1.10.2\\n")'],
    ],
    [
      'an excluded pattern is there, on any line',
      'ok\nERROR: x\n',
      [],
      ['^ERROR'],
      ['stdout matches excluded /^ERROR/ (was "ok\\nERROR: x\\n")'],
    ],
    [
      'expected ones before excluded ones',
      'b\n',
      ['a', 'c'],
      ['b'],
      [
        'stdout does not match /a/ (was "b\\n")',
        'stdout does not match /c/ (was "b\\n")',
        'stdout matches excluded /b/ (was "b\\n")',
      ],
    ],
    ['patterns are multiline: $ ends a line', 'one\ntwo\n', ['^one$', '^two$'], ['^one two$'], []],
    ['nothing asked', 'anything', [], [], []],
  ])('%s', (_, text, expected, excluded, problems) => {
    expect(outputProblems('stdout', text, expected, excluded)).toEqual(problems);
  });

  // Without lists nothing is expected and nothing excluded, whatever the output says. The last row
  // is the text Stryker plants when it mutates a default list: no default pattern may match it either.
  it.each(['x', '', 'ERROR: failed\nWARNING: deprecated\n', 'Stryker was here'])(
    'works without pattern lists: %j',
    (text) => {
      expect(outputProblems('stderr', text)).toEqual([]);
    },
  );

  it.each([
    [300, 'a'.repeat(300)],
    [301, `${'a'.repeat(300)}…`],
  ])('shows output of %d characters as %#', (length, shown) => {
    expect(outputProblems('stdout', 'a'.repeat(length), ['b'])).toEqual([
      `stdout does not match /b/ (was ${JSON.stringify(shown)})`,
    ]);
  });
});

describe('predicateFailure says what the JSONPath selected', () => {
  const state = {
    activated_slaves: 1,
    version: '1.11.0',
    zero: 0,
    frameworks: [{ tasks: [{ state: 'TASK_RUNNING' }, { state: 'TASK_STAGING' }] }],
    big: 'x'.repeat(300),
    counts: [0, 3],
  };

  it.each<[Predicate, string | undefined]>([
    [{ path: '$.activated_slaves', equals: 2 }, '$.activated_slaves {"equals":2} does not hold (saw 1)'],
    [{ path: '$.missing', equals: 2 }, '$.missing {"equals":2} does not hold (saw nothing)'],
    [
      { path: '$.frameworks[*].tasks[*].state', equals: 'TASK_FAILED' },
      '$.frameworks[*].tasks[*].state {"equals":"TASK_FAILED"} does not hold (saw ["TASK_RUNNING","TASK_STAGING"])',
    ],
    [{ path: '$.big', exists: false }, `$.big {"exists":false} does not hold (saw "${'x'.repeat(199)})`],
    // Boundaries: gte and lte include the value itself; count and minCount count what was selected.
    [{ path: '$.activated_slaves', gte: 1 }, undefined],
    [{ path: '$.activated_slaves', gte: 2 }, '$.activated_slaves {"gte":2} does not hold (saw 1)'],
    [{ path: '$.activated_slaves', lte: 1 }, undefined],
    [{ path: '$.activated_slaves', lte: 0 }, '$.activated_slaves {"lte":0} does not hold (saw 1)'],
    // A comparison holds when any selected value satisfies it, not only when all do.
    [{ path: '$.counts[*]', gte: 1 }, undefined],
    [{ path: '$.counts[*]', lte: 1 }, undefined],
    [{ path: '$.counts[*]', gte: 4 }, '$.counts[*] {"gte":4} does not hold (saw [0,3])'],
    [{ path: '$.zero', gte: 0 }, undefined],
    [{ path: '$.zero', lte: 0 }, undefined],
    [{ path: '$.version', gte: 0 }, '$.version {"gte":0} does not hold (saw "1.11.0")'],
    [{ path: '$.version', lte: 99 }, '$.version {"lte":99} does not hold (saw "1.11.0")'],
    [{ path: '$.frameworks[*].tasks[*]', count: 2 }, undefined],
    [
      { path: '$.frameworks[*].tasks[*]', count: 1 },
      '$.frameworks[*].tasks[*] {"count":1} does not hold (saw [{"state":"TASK_RUNNING"},{"state":"TASK_STAGING"}])',
    ],
    [{ path: '$.missing', count: 0 }, undefined],
    [{ path: '$.frameworks[*].tasks[*]', minCount: 2 }, undefined],
    [{ path: '$.missing', minCount: 0 }, undefined],
    [{ path: '$.missing', minCount: 1 }, '$.missing {"minCount":1} does not hold (saw nothing)'],
    [{ path: '$.version', exists: true }, undefined],
    [{ path: '$.missing', exists: false }, undefined],
    [{ path: '$.zero', exists: true }, undefined],
    [{ path: '$.zero', equals: 0 }, undefined],
    [{ path: '$.zero', notEquals: 0 }, '$.zero {"notEquals":0} does not hold (saw 0)'],
    [{ path: '$.frameworks[*].tasks[*].state', notEquals: 'TASK_FAILED' }, undefined],
    [{ path: '$.version', matches: '^1\\.11\\.\\d+$' }, undefined],
    [{ path: '$.version', matches: '^1\\.10' }, '$.version {"matches":"^1\\\\.10"} does not hold (saw "1.11.0")'],
    [{ path: '$.activated_slaves', matches: '1' }, '$.activated_slaves {"matches":"1"} does not hold (saw 1)'],
    [{ path: '$.frameworks[*].tasks[*].state', matches: 'STAGING' }, undefined],
    [{ path: '$.version' }, '$.version {} does not hold (saw "1.11.0")'],
  ])('%o', (predicate, failure) => {
    expect(predicateFailure(predicate, state)).toBe(failure);
  });

  it('shows a saved value cut to 200 characters too, as what was seen', () => {
    const saved = new Map([['long', 'x'.repeat(300)]]);
    expect(predicateFailure({ path: '$.version', sameAs: 'long' }, state, saved)).toBe(
      `$.version {"sameAs":"long"} does not hold (saw "1.11.0", saved "${'x'.repeat(199)})`,
    );
  });
});
