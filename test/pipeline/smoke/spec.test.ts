import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSmokeSpec, smokeSpecProblems } from '../../../pipeline/smoke/spec.js';
import { fixtureFamily } from '../../helpers/paths.js';

const service = (steps: unknown[], run: unknown = { ports: [8080] }) => ({ serviceTests: [{ name: 's', run, steps }] });

describe('smokeSpecProblems', () => {
  it.each(['fixture-base', 'fixture-app'])('accepts the fixture family spec of %s', (image) => {
    const text = readFileSync(path.join(fixtureFamily, image, 'smoke.json'), 'utf8');
    expect(smokeSpecProblems('smoke.json', text)).toEqual([]);
    expect(parseSmokeSpec(text)).toBeTruthy();
  });

  it.each([
    ['not JSON', '{', /^s.json: not valid JSON/],
    ['no test at all', {}, /^s.json: \(top level\): a smoke spec needs at least one test/],
    [
      'an unknown top-level field',
      { commandTests: [], tests: [] },
      /^s.json: \(top level\): Unrecognized key: "tests"/,
    ],
    [
      'an unknown test field',
      { commandTests: [{ name: 'a', command: ['x'], expectOutput: ['y'] }] },
      /^s.json: commandTests\[0\]: Unrecognized key: "expectOutput"/,
    ],
    ['a missing name', { commandTests: [{ command: ['x'] }] }, /^s.json: commandTests\[0\].name: /],
    [
      'an empty command',
      { commandTests: [{ name: 'a', command: [] }] },
      /^s.json: commandTests\[0\].command: must hold at least the program to run/,
    ],
    [
      'a command as a string',
      { commandTests: [{ name: 'a', command: 'ls -l' }] },
      /^s.json: commandTests\[0\].command: Invalid input: expected array/,
    ],
    [
      'an exit code as a string',
      { commandTests: [{ name: 'a', command: ['x'], exitCode: '0' }] },
      /^s.json: commandTests\[0\].exitCode: Invalid input: expected number/,
    ],
    [
      'a bad regex',
      { commandTests: [{ name: 'a', command: ['x'], expectedOutput: ['(unclosed'] }] },
      /^s.json: commandTests\[0\].expectedOutput\[0\]: not a valid regular expression/,
    ],
    [
      'a bad regex label value',
      { metadataTest: { labels: [{ key: 'k', value: '[', isRegex: true }] } },
      /^s.json: metadataTest.labels\[0\].value: not a valid regular expression/,
    ],
    [
      'an unknown variable',
      { commandTests: [{ name: 'a', command: ['echo', '${GIT_COMMIT}'] }] },
      /^s.json: commandTests\[0\].command\[1\]: unknown variable \$\{GIT_COMMIT\}; the variables are GIT_REPO, GIT_SHA/,
    ],
    [
      'a relative path',
      { fileExistenceTests: [{ name: 'f', path: 'usr/bin/x' }] },
      /^s.json: fileExistenceTests\[0\].path: must be an absolute path/,
    ],
    [
      'bad permissions',
      { fileExistenceTests: [{ name: 'f', path: '/x', permissions: '755' }] },
      /permissions: must look like ls -l/,
    ],
    [
      'a port that is not published',
      service([{ waitHttp: { port: 5050, path: '/health', timeoutSeconds: 5 } }]),
      /^s.json: serviceTests\[0\].steps\[0\].waitHttp.port: 5050 is not published; add it to serviceTests\[0\].run.ports/,
    ],
    [
      'ports with no run options',
      service([{ http: { port: 8080, path: '/' } }], {}),
      /steps\[0\].http.port: 8080 is not published/,
    ],
    [
      'a bad port',
      service([{ exec: { command: ['true'] } }], { ports: [70000] }),
      /^s.json: serviceTests\[0\].run.ports\[0\]/,
    ],
    [
      'a step that is two steps',
      service([{ exec: { command: ['true'] }, stop: {} }]),
      /^s.json: serviceTests\[0\].steps\[0\]: each step is exactly one of waitHttp, http, pollJson, exec, stop/,
    ],
    ['an empty step', service([{}]), /each step is exactly one of/],
    [
      'a step after stop',
      service([{ stop: {} }, { exec: { command: ['true'] } }]),
      /^s.json: serviceTests\[0\].steps\[0\].stop: stop must be the last step/,
    ],
    [
      'a predicate with two comparisons',
      service([
        { pollJson: { port: 8080, path: '/', timeoutSeconds: 1, until: [{ path: '$.a', equals: 1, gte: 1 }] } },
      ]),
      /until\[0\]: needs exactly one of equals/,
    ],
    [
      'a predicate path that is not JSONPath',
      service([{ pollJson: { port: 8080, path: '/', timeoutSeconds: 1, until: [{ path: 'a.b', exists: true }] } }]),
      /until\[0\].path: must be a JSONPath starting with \$/,
    ],
    [
      'a negative timeout',
      service([{ waitHttp: { port: 8080, path: '/', timeoutSeconds: -1 } }]),
      /timeoutSeconds: must be a positive number of seconds/,
    ],
    [
      'a missing timeout on a wait',
      service([{ waitHttp: { port: 8080, path: '/' } }]),
      /waitHttp.timeoutSeconds: is missing; it must be a number/,
    ],
    [
      'json and body together',
      service([{ http: { port: 8080, path: '/', json: {}, body: 'x' } }]),
      /steps\[0\].http: give json or body, not both/,
    ],
    [
      'a service test without steps',
      { serviceTests: [{ name: 's', steps: [] }] },
      /serviceTests\[0\].steps: a service test needs at least one step/,
    ],
    [
      'a sameAs with no earlier save',
      service([
        { pollJson: { port: 8080, path: '/', timeoutSeconds: 1, until: [{ path: '$.id', sameAs: 'frameworkId' }] } },
      ]),
      /^s.json: serviceTests\[0\].steps\[0\].pollJson.until\[0\].sameAs: no earlier step saves a value as "frameworkId"; save one with "save"/,
    ],
    [
      'a sameAs naming another saved value',
      service([
        {
          pollJson: {
            port: 8080,
            path: '/',
            timeoutSeconds: 1,
            until: [{ path: '$.a', exists: true }],
            save: { a: '$.a' },
          },
        },
        {
          pollJson: {
            port: 8080,
            path: '/',
            timeoutSeconds: 1,
            until: [{ path: '$.b', sameAs: 'b' }],
            save: { b: '$.b' },
          },
        },
      ]),
      /steps\[1\].pollJson.until\[0\].sameAs: no earlier step saves a value as "b"; the saved names are a$/,
    ],
    [
      'a save that is not a JSONPath',
      service([
        {
          pollJson: {
            port: 8080,
            path: '/',
            timeoutSeconds: 1,
            until: [{ path: '$.a', exists: true }],
            save: { a: 'a' },
          },
        },
      ]),
      /pollJson.save.a: must be a JSONPath starting with \$/,
    ],
    [
      'a cgroup pattern that climbs out of the hierarchy',
      service([{ stop: { noCgroupsMatching: ['../mesos'] } }]),
      /stop.noCgroupsMatching\[0\]: must be a cgroup path relative to a hierarchy root/,
    ],
    [
      'an absolute cgroup pattern',
      service([{ stop: { noCgroupsMatching: ['/sys/fs/cgroup/memory/mesos'] } }]),
      /stop.noCgroupsMatching\[0\]: must be a cgroup path relative to a hierarchy root/,
    ],
  ])('reports %s', (_, spec, expected) => {
    const problems = smokeSpecProblems('s.json', typeof spec === 'string' ? spec : JSON.stringify(spec));
    expect(
      problems.some((problem) => expected.test(problem)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('accepts a value saved by one step and compared by a later one, and cgroup patterns', () => {
    const spec = service([
      {
        pollJson: {
          port: 8080,
          path: '/',
          timeoutSeconds: 1,
          until: [{ path: '$.id', exists: true }],
          save: { id: '$.id' },
        },
      },
      { pollJson: { port: 8080, path: '/', timeoutSeconds: 1, until: [{ path: '$.id', sameAs: 'id' }] } },
      { stop: { noCgroupsMatching: ['mesos', 'docker/*/mesos', 'system.slice/mesos-*.scope'] } },
    ]);
    expect(smokeSpecProblems('s.json', JSON.stringify(spec))).toEqual([]);
  });

  it('reports every problem, not only the first', () => {
    const problems = smokeSpecProblems(
      's.json',
      JSON.stringify({
        commandTests: [{ name: 'a', command: ['${NOPE}'], expectedOutput: ['('] }],
        fileExistenceTests: [{ name: 'f', path: 'x' }],
      }),
    );
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(
      /unknown variable \$\{NOPE\}[\s\S]*fileExistenceTests\[0\].path[\s\S]*expectedOutput\[0\]: not a valid regular expression/,
    );
  });
});
