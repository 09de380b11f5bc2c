import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSmokeSpec, REGEX_FIELDS, REGEX_LISTS, smokeSpecProblems } from '../../../pipeline/smoke/spec.js';
import { ConfigError } from '../../../pipeline/errors.js';
import { loadFamily } from '../../../pipeline/family/family.js';
import { fixtureFamily, repoRoot } from '../../helpers/paths.js';
import { writeTree } from '../../helpers/temp-files.js';

const service = (steps: unknown[], run: unknown = { ports: [8080] }) => ({ serviceTests: [{ name: 's', run, steps }] });
/** A pollJson step on :8080/ with a 1 s timeout: only its `until` and `save` vary between the rows. */
const poll = (until: unknown[], save?: Record<string, string>) => ({
  pollJson: { port: 8080, path: '/', timeoutSeconds: 1, until, ...(save ? { save } : {}) },
});

describe('smokeSpecProblems', () => {
  it.each(['fixture-base', 'fixture-app'])('accepts the fixture family spec of %s', (image) => {
    const text = readFileSync(path.join(fixtureFamily, image, 'smoke.json'), 'utf8');
    expect(smokeSpecProblems('smoke.json', text)).toEqual([]);
    expect(parseSmokeSpec(text)).toBeTruthy();
  });

  it.each([
    ['not JSON', '{', /^s.json: not valid JSON/],
    [
      'no test at all',
      {},
      /^s.json: \(top level\): a smoke spec needs at least one test: commandTests, fileExistenceTests, fileContentTests, metadataTest, licenseTests or serviceTests$/,
    ],
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
      'an empty name',
      { commandTests: [{ name: '', command: ['x'] }] },
      /^s.json: commandTests\[0\].name: must not be empty$/,
    ],
    [
      'a variable to set without a name',
      { commandTests: [{ name: 'a', command: ['x'], envVars: [{ key: '', value: 'v' }] }] },
      /^s.json: commandTests\[0\].envVars\[0\].key: must name the variable$/,
    ],
    [
      'a port written as a word',
      service([{ exec: { command: ['true'] } }], { ports: ['http'] }),
      /^s.json: serviceTests\[0\].run.ports\[0\]: must be a port such as 8080 or "8080\/tcp"$/,
    ],
    [
      'an empty command',
      { commandTests: [{ name: 'a', command: [] }] },
      /^s.json: commandTests\[0\].command: must hold at least the program to run/,
    ],
    [
      'a command that is neither a program nor an argv',
      { commandTests: [{ name: 'a', command: 7 }] },
      /^s.json: commandTests\[0\].command: must be the program to run \(with its arguments in args\) or an array/,
    ],
    [
      'an empty program',
      { commandTests: [{ name: 'a', command: '', args: ['x'] }] },
      /^s.json: commandTests\[0\].command: must name the program to run/,
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
      /permissions: must be a mode as container-structure-test prints it \(Go's os.FileMode\): -rwxr-xr-x, drwxr-xr-x, Lrwxrwxrwx, urwxr-xr-x \(setuid\), dtrwxrwxrwx \(sticky\)$/,
    ],
    [
      'a relative path to read',
      { fileContentTests: [{ name: 'f', path: 'etc/x' }] },
      /^s.json: fileContentTests\[0\].path: must be an absolute path$/,
    ],
    [
      'a relative license file',
      { licenseTests: [{ debian: true, files: ['usr/share/doc/x'] }] },
      /^s.json: licenseTests\[0\].files\[0\]: must be an absolute path$/,
    ],
    [
      'a relative volume',
      service([{ exec: { command: ['true'] } }], { ports: [8080], volumes: ['var/lib/x'] }),
      /^s.json: serviceTests\[0\].run.volumes\[0\]: must be an absolute path in the container$/,
    ],
    [
      'an HTTP path without its slash',
      service([{ http: { port: 8080, path: 'health' } }]),
      /^s.json: serviceTests\[0\].steps\[0\].http.path: must start with \/$/,
    ],
    [
      'a saved value compared under a bad name',
      service([poll([{ path: '$.id', sameAs: '1bad' }])]),
      /^s.json: serviceTests\[0\].steps\[0\].pollJson.until\[0\].sameAs: must be a name such as frameworkId$/,
    ],
    [
      'a value saved under a bad name',
      service([poll([{ path: '$.id', equals: 1 }], { '1bad': '$.id' })]),
      /^s.json: serviceTests\[0\].steps\[0\].pollJson.save.1bad: must be a name such as frameworkId$/,
    ],
    [
      "permissions as ls prints setuid, not as Go's FileMode",
      { fileExistenceTests: [{ name: 'f', path: '/x', permissions: '-rwsr-xr-x' }] },
      /permissions: must be a mode as container-structure-test prints it/,
    ],
    [
      'a negative uid',
      { fileExistenceTests: [{ name: 'f', path: '/x', uid: -1 }] },
      /^s.json: fileExistenceTests\[0\].uid: must be a numeric id, 0 or more/,
    ],
    [
      'an unknown schemaVersion',
      { schemaVersion: '3.0.0', commandTests: [{ name: 'a', command: 'true' }] },
      /^s.json: schemaVersion: "3.0.0" is not a container-structure-test schema version; use "2.0.0"/,
    ],
    [
      'an envVar without a key',
      { globalEnvVars: [{ value: 'x' }], commandTests: [{ name: 'a', command: 'true' }] },
      /^s.json: globalEnvVars\[0\].key: is missing; it must be a string/,
    ],
    [
      'isRegex on a variable to set',
      { commandTests: [{ name: 'a', command: 'true', envVars: [{ key: 'A', value: 'b', isRegex: true }] }] },
      /^s.json: commandTests\[0\].envVars\[0\]: Unrecognized key: "isRegex"; the keys here are key, value/,
    ],
    [
      'a license test without debian',
      { licenseTests: [{ files: ['/x'] }] },
      /^s.json: licenseTests\[0\].debian: is missing; it must be a boolean/,
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
      service([poll([{ path: '$.id', sameAs: 'frameworkId' }])]),
      /^s.json: serviceTests\[0\].steps\[0\].pollJson.until\[0\].sameAs: no earlier step saves a value as "frameworkId"; save one with "save"/,
    ],
    [
      'a sameAs naming another saved value',
      service([
        poll([{ path: '$.a', exists: true }], { a: '$.a' }),
        poll([{ path: '$.b', sameAs: 'b' }], { b: '$.b' }),
      ]),
      /steps\[1\].pollJson.until\[0\].sameAs: no earlier step saves a value as "b"; the saved names are a$/,
    ],
    [
      'a sameAs naming none of several saved values',
      service([poll([{ path: '$.a', exists: true }], { a: '$.a', c: '$.c' }), poll([{ path: '$.b', sameAs: 'b' }])]),
      /steps\[1\].pollJson.until\[0\].sameAs: no earlier step saves a value as "b"; the saved names are a, c$/,
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
      poll([{ path: '$.id', exists: true }], { id: '$.id' }),
      poll([{ path: '$.id', sameAs: 'id' }]),
      { stop: { noCgroupsMatching: ['mesos', 'docker/*/mesos', 'system.slice/mesos-*.scope'] } },
    ]);
    expect(smokeSpecProblems('s.json', JSON.stringify(spec))).toEqual([]);
  });

  it('accepts a request with a body and one with JSON: only both at once is a problem', () => {
    const spec = service([
      { http: { port: 8080, path: '/', body: 'x' } },
      { http: { port: 8080, path: '/', json: { a: 1 } } },
      { waitHttp: { port: 8080, path: '/', timeoutSeconds: 1, body: 'x' } },
      { pollJson: { port: 8080, path: '/', timeoutSeconds: 1, until: [{ path: '$.a', exists: true }], json: {} } },
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

describe('a pollJson predicate', () => {
  // Each comparison alone is a predicate; the list that counts them must name every one.
  it.each([
    ['equals', 1],
    ['notEquals', 1],
    ['gte', 1],
    ['lte', 1],
    ['matches', '^a'],
    ['exists', true],
    ['count', 1],
    ['minCount', 1],
    ['sameAs', 'frameworkId'],
  ])('may be %s alone', (key, value) => {
    const steps = [
      poll([{ path: '$.id', equals: 'x' }], { frameworkId: '$.id' }),
      poll([{ path: '$.a', [key]: value }]),
    ];
    expect(smokeSpecProblems('s.json', JSON.stringify(service(steps)))).toEqual([]);
  });
});

describe('parseSmokeSpec', () => {
  // It parses what smokeSpecProblems accepted; given anything else it still names the file and why.
  it.each<[string, string | undefined, RegExp]>([
    ['{', undefined, /^smoke\.json: not valid JSON: /], // no name given: smoke.json
    ['{', 'images/app/smoke.json', /^images\/app\/smoke\.json: not valid JSON: /],
    ['commandTests: [\n', 's.yaml', /^s\.yaml: not valid YAML: /],
  ])('refuses %j in %s, naming the file', (text, file, message) => {
    expect(() => parseSmokeSpec(text, file)).toThrow(message);
  });
});

describe('container-structure-test fields', () => {
  it('accepts a c-s-t 2.0.0 file as written and gives the runner one argv per command', () => {
    const text = JSON.stringify({
      schemaVersion: '2.0.0',
      globalEnvVars: [{ key: 'PATH', value: '/env/bin:$PATH' }],
      containerRunOptions: { user: 'root', privileged: false, capabilities: ['NET_ADMIN'] },
      commandTests: [
        {
          name: 'which',
          setup: [
            ['virtualenv', '/env'],
            ['pip', 'install', 'flask'],
          ],
          teardown: [['rm', '-rf', '/env']],
          command: 'which',
          args: ['gunicorn'],
          envVars: [{ key: 'VIRTUAL_ENV', value: '/env' }],
          expectedOutput: ['/env/bin/gunicorn'],
        },
        { name: 'v1 argv', command: ['sh', '-c', 'true'] },
        { name: 'argv and args', command: ['sh', '-c'], args: ['true'] },
      ],
      fileExistenceTests: [
        { name: 'root', path: '/', shouldExist: true, permissions: 'drwxr-xr-x', uid: 0, gid: 0 },
        { name: 'old field', path: '/etc', isDirectory: true },
      ],
      metadataTest: {
        envVars: [{ key: 'A', value: 'a.*', isRegex: true }],
        unboundEnvVars: [{ key: 'B' }],
        unmountedVolumes: ['/root'],
        entrypoint: [],
      },
      licenseTests: [{ debian: false, files: ['/usr/share/doc/dash/copyright'] }],
    });
    expect(smokeSpecProblems('s.json', text)).toEqual([]);
    const spec = parseSmokeSpec(text);
    expect(spec.commandTests?.map((test) => test.command)).toEqual([
      ['which', 'gunicorn'],
      ['sh', '-c', 'true'],
      ['sh', '-c', 'true'],
    ]);
    expect(spec.commandTests?.[0]).not.toHaveProperty('args');
    expect(spec.commandTests?.[0]?.setup).toEqual([
      ['virtualenv', '/env'],
      ['pip', 'install', 'flask'],
    ]);
    expect(spec.fileExistenceTests?.[0]).toMatchObject({ uid: 0, gid: 0 });
  });

  it('allows ${NAME} of the image environment in the value of a variable to set, and nowhere else', () => {
    const spec = (value: string) =>
      JSON.stringify({
        globalEnvVars: [{ key: 'P', value }],
        commandTests: [{ name: 'a', command: 'true', envVars: [{ key: 'Q', value }] }],
        metadataTest: { envVars: [{ key: 'R', value }] },
      });
    expect(smokeSpecProblems('s.json', spec('${PATH}:${GIT_SHA}'))).toEqual([
      's.json: metadataTest.envVars[0].value: unknown variable ${PATH}; the variables are GIT_REPO, ' +
        'GIT_SHA, GIT_SHORT_SHA, GIT_BRANCH, VERSION, VERSION_PATTERN, IMAGE_NAME',
    ]);
  });

  it('allows them only in the value itself: a value that is a list still has its variables checked', () => {
    const text = JSON.stringify({
      globalEnvVars: [{ key: 'P', value: ['${PATH}'] }],
      commandTests: [{ name: 'a', command: 'true', envVars: [{ key: 'Q', value: ['${HOME}'] }] }],
    });
    const problems = smokeSpecProblems('s.json', text);
    expect(problems).toContain(
      's.json: globalEnvVars[0].value[0]: unknown variable ${PATH}; the variables are GIT_REPO, ' +
        'GIT_SHA, GIT_SHORT_SHA, GIT_BRANCH, VERSION, VERSION_PATTERN, IMAGE_NAME',
    );
    expect(problems).toContain(
      's.json: commandTests[0].envVars[0].value[0]: unknown variable ${HOME}; the variables are GIT_REPO, ' +
        'GIT_SHA, GIT_SHORT_SHA, GIT_BRANCH, VERSION, VERSION_PATTERN, IMAGE_NAME',
    );
  });

  // Everywhere else, a variable must be ours, also in fields the schema refuses: every problem at once.
  const UNKNOWN_PATH =
    'unknown variable ${PATH}; the variables are GIT_REPO, GIT_SHA, GIT_SHORT_SHA, GIT_BRANCH, VERSION, ' +
    'VERSION_PATTERN, IMAGE_NAME';
  it.each<[string, unknown, string[]]>([
    [
      'the key of a variable to set',
      { globalEnvVars: [{ key: '${PATH}', value: 'x' }], commandTests: [{ name: 'a', command: 'true' }] },
      [`s.json: globalEnvVars[0].key: ${UNKNOWN_PATH}`],
    ],
    [
      'the key of a variable to set in a command test',
      { commandTests: [{ name: 'a', command: 'true', envVars: [{ key: '${PATH}', value: 'x' }] }] },
      [`s.json: commandTests[0].envVars[0].key: ${UNKNOWN_PATH}`],
    ],
    [
      'a setup command of a command test',
      { commandTests: [{ name: 'a', command: 'true', setup: [['echo', '${PATH}']] }] },
      [`s.json: commandTests[0].setup[0][1]: ${UNKNOWN_PATH}`],
    ],
    [
      'a value misplaced in a file test',
      { fileExistenceTests: [{ name: 'f', path: '/x', value: '${PATH}' }] },
      [
        `s.json: fileExistenceTests[0].value: ${UNKNOWN_PATH}`,
        's.json: fileExistenceTests[0]: Unrecognized key: "value"; the keys here are name, path, shouldExist, ' +
          'permissions, uid, gid, isExecutableBy, isDirectory, type',
      ],
    ],
    [
      'variables to set misplaced in a file test',
      { fileExistenceTests: [{ name: 'f', path: '/x', envVars: [{ key: 'P', value: '${PATH}' }] }] },
      [
        `s.json: fileExistenceTests[0].envVars[0].value: ${UNKNOWN_PATH}`,
        's.json: fileExistenceTests[0]: Unrecognized key: "envVars"; the keys here are name, path, shouldExist, ' +
          'permissions, uid, gid, isExecutableBy, isDirectory, type',
      ],
    ],
    [
      'labels misplaced in a command test',
      { commandTests: [{ name: 'a', command: 'true', labels: [{ key: 'P', value: '${PATH}' }] }] },
      [
        `s.json: commandTests[0].labels[0].value: ${UNKNOWN_PATH}`,
        's.json: commandTests[0]: Unrecognized key: "labels"; the keys here are name, command, args, setup, ' +
          'teardown, envVars, entrypoint, user, exitCode, expectedOutput, excludedOutput, expectedError, ' +
          'excludedError, timeoutSeconds',
      ],
    ],
  ])('checks ${NAME} in %s', (_, spec, problems) => {
    expect(smokeSpecProblems('s.json', JSON.stringify(spec))).toEqual(problems);
  });

  it.each([
    [
      'containerRunOptions.envVars',
      { containerRunOptions: { envVars: ['FOO'] } },
      /^s.json: containerRunOptions.envVars: not supported: a smoke test may not depend on the pipeline's own environment/,
    ],
    [
      'containerRunOptions.envFile',
      { containerRunOptions: { envFile: 'tests/envfile' } },
      /^s.json: containerRunOptions.envFile: not supported: a smoke test may not depend on files of the host/,
    ],
    [
      'containerRunOptions.bindMounts',
      { containerRunOptions: { bindMounts: ['/tmp/test:/tmp/test'] } },
      /^s.json: containerRunOptions.bindMounts: not supported: /,
    ],
    [
      'containerRunOptions.allocateTty',
      { containerRunOptions: { allocateTty: true } },
      /^s.json: containerRunOptions.allocateTty: not supported: output is read as separate stdout and stderr/,
    ],
    [
      'metadataTest.env (renamed)',
      { metadataTest: { env: [{ key: 'A', value: 'b' }] } },
      /^s.json: metadataTest.env: not supported: renamed envVars, as container-structure-test names it$/,
    ],
    [
      'commandTests[].env (a record)',
      { commandTests: [{ name: 'a', command: 'true', env: { A: 'b' } }] },
      /^s.json: commandTests\[0\].env: not supported: a command test sets variables with envVars/,
    ],
  ])('refuses %s, naming it and saying why', (_, spec, expected) => {
    const problems = smokeSpecProblems(
      's.json',
      JSON.stringify({ commandTests: [{ name: 't', command: 'x' }], ...spec }),
    );
    expect(problems, problems.join('\n')).toEqual([expect.stringMatching(expected)]);
  });
});

describe('smoke specs in YAML', () => {
  it('reads smoke.yaml as YAML 1.1, like c-s-t: yes is true, dates stay strings, a bare key is absent', () => {
    const text = [
      "schemaVersion: '2.0.0'",
      'fileExistenceTests:',
      "- name: 'Root'",
      '  path: /',
      '  shouldExist: yes',
      'metadataTest:',
      '  labels:',
      '  - key: built',
      '    value: 2024-01-02',
      'licenseTests:',
      '- debian: false',
      '  files:',
    ].join('\n');
    expect(smokeSpecProblems('smoke.yaml', text)).toEqual([]);
    const spec = parseSmokeSpec(text, 'dir/smoke.yml');
    expect(spec.fileExistenceTests?.[0]?.shouldExist).toBe(true);
    expect(spec.metadataTest?.labels?.[0]?.value).toBe('2024-01-02');
    expect(spec.licenseTests).toEqual([{ debian: false }]);
  });

  it.each([
    [
      'a duplicate key',
      'commandTests:\n- name: a\n  name: b\n  command: x\n',
      /^s.yaml: not valid YAML: Map keys must be unique at line 3/,
    ],
    ['a tab in the indentation', 'commandTests:\n\t- name: a\n', /^s.yaml: not valid YAML: .*line 2/],
    [
      'two documents',
      'commandTests: []\n---\ncommandTests: []\n',
      /^s.yaml: not valid YAML: Source contains multiple documents/,
    ],
    // The reader's own colon before the context lines goes; the one in its message stays.
    [
      'a stray closing bracket',
      'commandTests: []\n]\n',
      /^s.yaml: not valid YAML: Unexpected flow-seq-end token in YAML stream: "\]" at line 2, column 1$/,
    ],
  ])('reports %s with its line, on one line', (_, text, expected) => {
    const problems = smokeSpecProblems('s.yaml', text);
    expect(problems).toEqual([expect.stringMatching(expected)]);
    expect(problems[0]).not.toContain('\n');
  });

  it('reports YAML problems with the same paths as JSON ones', () => {
    expect(smokeSpecProblems('s.yml', 'commandTests:\n- name: a\n  command: [x]\n  exitCode: "0"\n')).toEqual([
      's.yml: commandTests[0].exitCode: Invalid input: expected number, received string',
    ]);
  });

  // The name's extension decides, and only at its end: YAML text in a file named as JSON is bad JSON.
  it.each([
    ['smoke.yaml', true],
    ['dir/smoke.yml', true],
    ['SMOKE.YAML', true],
    ['smoke.json', false],
    ['smoke.yaml.json', false],
    ['ci.yml/smoke.json', false],
  ])('reads %s as YAML: %s', (file, isYaml) => {
    const problems = smokeSpecProblems(file, 'commandTests:\n- name: a\n  command: x\n');
    expect(problems).toEqual(isYaml ? [] : [expect.stringMatching(new RegExp(`^${file}: not valid JSON: `))]);
  });
});

/**
 * Every field whose strings are regular expressions, with a spec that puts a pattern there. A bad
 * pattern must be bad input before anything is built (issue 19, hole 4), not a smoke failure after.
 */
const serviceStep = (step: Record<string, unknown>) => ({
  serviceTests: [{ name: 's', run: { ports: [8080] }, steps: [step] }],
});
const REGEX_PLACES: [string, (pattern: string) => unknown][] = [
  ['commandTests[0].expectedOutput[0]', (p) => ({ commandTests: [{ name: 'a', command: 'x', expectedOutput: [p] }] })],
  ['commandTests[0].excludedOutput[0]', (p) => ({ commandTests: [{ name: 'a', command: 'x', excludedOutput: [p] }] })],
  ['commandTests[0].expectedError[0]', (p) => ({ commandTests: [{ name: 'a', command: 'x', expectedError: [p] }] })],
  ['commandTests[0].excludedError[0]', (p) => ({ commandTests: [{ name: 'a', command: 'x', excludedError: [p] }] })],
  [
    'fileContentTests[0].expectedContents[0]',
    (p) => ({ fileContentTests: [{ name: 'f', path: '/x', expectedContents: [p] }] }),
  ],
  [
    'fileContentTests[0].excludedContents[0]',
    (p) => ({ fileContentTests: [{ name: 'f', path: '/x', excludedContents: [p] }] }),
  ],
  ['metadataTest.labels[0].value', (p) => ({ metadataTest: { labels: [{ key: 'k', value: p, isRegex: true }] } })],
  ['metadataTest.envVars[0].value', (p) => ({ metadataTest: { envVars: [{ key: 'k', value: p, isRegex: true }] } })],
  [
    'serviceTests[0].steps[0].exec.expectedOutput[0]',
    (p) => serviceStep({ exec: { command: ['x'], expectedOutput: [p] } }),
  ],
  [
    'serviceTests[0].steps[0].exec.excludedOutput[0]',
    (p) => serviceStep({ exec: { command: ['x'], excludedOutput: [p] } }),
  ],
  [
    'serviceTests[0].steps[0].waitHttp.bodyMatches',
    (p) => serviceStep({ waitHttp: { port: 8080, path: '/', timeoutSeconds: 1, bodyMatches: p } }),
  ],
  [
    'serviceTests[0].steps[0].http.bodyMatches',
    (p) => serviceStep({ http: { port: 8080, path: '/', bodyMatches: p } }),
  ],
  [
    'serviceTests[0].steps[0].pollJson.bodyMatches',
    (p) =>
      serviceStep({
        pollJson: { port: 8080, path: '/', timeoutSeconds: 1, until: [{ path: '$.a', exists: true }], bodyMatches: p },
      }),
  ],
  [
    'serviceTests[0].steps[0].pollJson.until[0].matches',
    (p) =>
      serviceStep({ pollJson: { port: 8080, path: '/', timeoutSeconds: 1, until: [{ path: '$.a', matches: p }] } }),
  ],
];

describe('every regex field is checked before anything runs', () => {
  it('has a row for every regex field the checker knows', () => {
    const covered = new Set(
      REGEX_PLACES.map(([place]) =>
        place
          .replace(/\[\d+\]$/, '')
          .split('.')
          .at(-1),
      ),
    );
    for (const field of [...REGEX_LISTS, ...REGEX_FIELDS]) expect(covered, field).toContain(field);
  });

  it.each(REGEX_PLACES)('%s: a bad pattern is a problem there; a good one is not', (place, specWith) => {
    const bad = smokeSpecProblems('s.json', JSON.stringify(specWith('(unclosed')));
    expect(bad).toEqual([
      expect.stringMatching(/^s.json: .*: not a valid regular expression: "\(unclosed": Unterminated group$/),
    ]);
    expect(bad[0]).toContain(`s.json: ${place}: not a valid regular expression`);
    expect(smokeSpecProblems('s.json', JSON.stringify(specWith('^ok (\\d+)$')))).toEqual([]);
  });

  // JavaScript's message repeats the translated pattern and its flags (`Invalid regular expression:
  // /…/m: `); only that prefix goes, whatever the pattern holds, and nothing of the user's text.
  it.each([
    ['a pattern with spaces', '^mesos (1', 'Unterminated group'],
    ['a pattern with flags of its own', '(?i)(unclosed', 'Unterminated group'],
    [
      "a message of our own that holds JavaScript's prefix",
      '[[:Invalid regular expression: /x/: :]]',
      'unknown POSIX class [:Invalid regular expression: /x/: :]; the classes are alnum, alpha, ascii, blank, ' +
        'cntrl, digit, graph, lower, print, punct, space, upper, word, xdigit',
    ],
  ])('says why %s is bad without the translated pattern', (_, pattern, reason) => {
    expect(smokeSpecProblems('s.json', JSON.stringify(REGEX_PLACES[0]?.[1](pattern)))).toEqual([
      `s.json: commandTests[0].expectedOutput[0]: not a valid regular expression: ${JSON.stringify(pattern)}: ` +
        reason,
    ]);
  });

  // Only those strings: a name or a value that is not a pattern may hold any character, and a
  // pattern list written as an object is one shape problem, not also a pattern problem per string.
  it.each<[string, unknown, string[]]>([
    [
      'the key of a label matched by regex',
      { metadataTest: { labels: [{ key: 'a(b', value: '^1', isRegex: true }] } },
      [],
    ],
    ['the value of a label not matched by regex', { metadataTest: { labels: [{ key: 'k', value: 'a(b' }] } }, []],
    [
      'a pattern list written as an object',
      { commandTests: [{ name: 'a', command: 'x', expectedOutput: { first: '(' } }] },
      ['s.json: commandTests[0].expectedOutput: Invalid input: expected array, received object'],
    ],
  ])('does not read %s as a pattern', (_, spec, problems) => {
    expect(smokeSpecProblems('s.json', JSON.stringify(spec))).toEqual(problems);
  });

  it('checks a pattern after template variables are filled in, and RE2 forms c-s-t files use', () => {
    const specWith = REGEX_PLACES[1]?.[1] as (pattern: string) => unknown;
    expect(smokeSpecProblems('s.json', JSON.stringify(specWith('^mesos ${VERSION_PATTERN}$')))).toEqual([]);
    expect(smokeSpecProblems('s.json', JSON.stringify(specWith('(?i)^usage\\z')))).toEqual([]);
    expect(smokeSpecProblems('s.json', JSON.stringify(specWith('[[:digit:]]+')))).toEqual([]);
    expect(smokeSpecProblems('s.json', JSON.stringify(specWith('[[:nope:]]')))).toEqual([
      's.json: commandTests[0].excludedOutput[0]: not a valid regular expression: "[[:nope:]]": unknown ' +
        'POSIX class [:nope:]; the classes are alnum, alpha, ascii, blank, cntrl, digit, graph, lower, ' +
        'print, punct, space, upper, word, xdigit',
    ]);
  });

  it('makes a family with a bad excludedOutput bad input (exit 2) when it is loaded', async () => {
    const dir = writeTree({
      'images.json': JSON.stringify({ images: [{ name: 'app', context: 'app' }] }),
      'app/Dockerfile': 'FROM mesos-pipeline/busybox:static\n',
      'app/smoke.json': JSON.stringify({ commandTests: [{ name: 'a', command: ['x'], excludedOutput: ['[z-a]'] }] }),
    });
    const error = await loadFamily(dir, smokeSpecProblems).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(
        /^app\/smoke.json: commandTests\[0\].excludedOutput\[0\]: not a valid regular expression: .*Range out of order/,
      ),
    ]);
  });
});

describe('the documented example', () => {
  it('is a valid smoke spec: the YAML example of the Smoke tests docs loads as written', () => {
    const docs = ['README.md', ...readdirSync(path.join(repoRoot, 'docs')).map((file) => `docs/${file}`)];
    const example = docs
      .flatMap((file) => [...readFileSync(path.join(repoRoot, file), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)])
      .map((match) => match[1] as string)
      .find((block) => block.includes('schemaVersion:'));
    expect(example).toBeDefined();
    expect(smokeSpecProblems('smoke.yaml', example as string)).toEqual([]);
    const spec = parseSmokeSpec(example as string, 'smoke.yaml');
    expect(spec.commandTests?.[0]?.command).toEqual(['mesos-master', '--version']);
  });
});

describe('unknown keys', () => {
  it('suggests the keys that may be there, not the refused ones', () => {
    const [problem] = smokeSpecProblems('s.json', JSON.stringify({ metadataTest: { lables: [] } }));
    expect(problem).toMatch(
      /^s.json: metadataTest: Unrecognized key: "lables"; the keys here are labels, envVars, unbound/,
    );
    expect(problem).not.toMatch(/ env,/);
  });
});
