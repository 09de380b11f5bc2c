import { describe, expect, it } from 'vitest';
import { fileExistenceProblems, needsOwner, permissionString } from '../../../pipeline/smoke/file-tests.js';
import { metadataProblems } from '../../../pipeline/smoke/metadata-test.js';
import { outputProblems } from '../../../pipeline/smoke/output-checks.js';
import { predicateFailure } from '../../../pipeline/smoke/predicates.js';
import { expand, SAMPLE_VALUES, unknownVariables } from '../../../pipeline/smoke/template.js';
import type { ImageDetails } from '../../../pipeline/ports.js';

const state = {
  activated_slaves: 1,
  slaves: [{ id: 'a', active: true }],
  frameworks: [{ name: 'marathon', tasks: [{ state: 'TASK_RUNNING' }, { state: 'TASK_STAGING' }] }],
  version: '1.11.0',
};

describe('predicateFailure', () => {
  it.each([
    [{ path: '$.activated_slaves', equals: 1 }, true],
    [{ path: '$.activated_slaves', equals: 2 }, false],
    [{ path: '$.activated_slaves', gte: 1 }, true],
    [{ path: '$.activated_slaves', lte: 0 }, false],
    [{ path: '$.frameworks[*].tasks[*].state', equals: 'TASK_RUNNING' }, true],
    [{ path: '$.frameworks[*].tasks[*].state', notEquals: 'TASK_FAILED' }, true],
    [{ path: '$.frameworks[*].tasks[*].state', notEquals: 'TASK_STAGING' }, false],
    [{ path: '$.frameworks[*].tasks[*]', count: 2 }, true],
    [{ path: '$.frameworks[*].tasks[*]', minCount: 3 }, false],
    [{ path: '$.slaves[?(@.active == true)]', minCount: 1 }, true],
    [{ path: '$.version', matches: '^1\\.11\\.' }, true],
    [{ path: '$.version', matches: '^1\\.10\\.' }, false],
    [{ path: '$.missing', exists: false }, true],
    [{ path: '$.missing', exists: true }, false],
    [{ path: '$.slaves[0]', equals: { id: 'a', active: true } }, true],
    [{ path: '$.missing', notEquals: 1 }, false],
  ])('%o holds: %s', (predicate, holds) => {
    const failure = predicateFailure(predicate, state);
    if (holds) expect(failure).toBeUndefined();
    else expect(failure).toMatch(new RegExp(`^\\${predicate.path.slice(0, 1)}.* does not hold \\(saw `));
  });
});

describe('predicateFailure with values saved by earlier steps', () => {
  const saved = new Map<string, unknown>([
    ['frameworkId', 'f-1'],
    ['agent', { id: 'a', active: true }],
  ]);

  it.each([
    [{ path: '$.frameworks[*].id', sameAs: 'frameworkId' }, { frameworks: [{ id: 'f-0' }, { id: 'f-1' }] }, true],
    [{ path: '$.frameworks[*].id', sameAs: 'frameworkId' }, { frameworks: [{ id: 'f-2' }] }, false],
    [{ path: '$.frameworks[*].id', sameAs: 'frameworkId' }, { frameworks: [] }, false],
    [{ path: '$.slaves[0]', sameAs: 'agent' }, { slaves: [{ id: 'a', active: true }] }, true],
    [{ path: '$.slaves[0]', sameAs: 'agent' }, { slaves: [{ id: 'a', active: false }] }, false],
  ])('%o on %j holds: %s', (predicate, json, holds) => {
    const failure = predicateFailure(predicate, json, saved);
    if (holds) expect(failure).toBeUndefined();
    else expect(failure).toMatch(/ does not hold \(saw .*, saved /);
  });

  it('says so when nothing was saved under the name', () => {
    expect(predicateFailure({ path: '$.id', sameAs: 'nope' }, { id: 'x' }, saved)).toBe(
      '$.id: no earlier step saved a value as nope',
    );
  });
});

describe('outputProblems', () => {
  it.each([
    ['mesos 1.11.0\n', ['^mesos 1\\.11\\.\\d+$'], [], 0],
    // Multiline, and RE2 forms from c-s-t files: \A and \z anchor the whole text.
    ['a\nUsage: x\n', ['\\AUsage'], [], 1],
    ['Usage: x\n', ['\\AUsage', 'x\\n\\z'], [], 0],
    ['Usage: x\n', ['(?i)usage'], [], 0],
    ['digits 42', ['[[:digit:]]{2}$'], [], 0],
    ['mesos 1.11.0\n', ['^mesos 1\\.10'], [], 1],
    ['line one\nERROR two\n', [], ['^ERROR'], 1],
    ['ok\n', ['ok'], ['fail'], 0],
  ])('%j with %o / %o -> %d problems', (text, expected, excluded, count) => {
    expect(outputProblems('stdout', text, expected, excluded)).toHaveLength(count);
  });
});

describe('permissionString and fileExistenceProblems', () => {
  const DIR = 2 ** 31;
  const LINK = 2 ** 27;
  it.each([
    [0o755, '-rwxr-xr-x'],
    [0o644, '-rw-r--r--'],
    [DIR + 0o755, 'drwxr-xr-x'],
    [LINK + 0o777, 'Lrwxrwxrwx'],
    // Go's FileMode letters, as c-s-t prints them: setuid u, setgid g, sticky t, in Go's order.
    [2 ** 23 + 0o755, 'urwxr-xr-x'],
    [2 ** 22 + (0o2755 % 0o1000), 'grwxr-xr-x'],
    [DIR + 2 ** 20 + 0o777, 'dtrwxrwxrwx'],
    [2 ** 26 + 2 ** 21 + 0o666, 'Dcrw-rw-rw-'],
    [2 ** 25 + 0o600, 'prw-------'],
    [0, '----------'],
  ])('mode %d is %s', (mode, text) => {
    expect(permissionString(mode)).toBe(text);
  });

  const stat = (mode: number) => ({ name: 'x', size: 1, mode, linkTarget: '' });
  it.each([
    [{ name: 't', path: '/x' }, undefined, ['/x does not exist']],
    [{ name: 't', path: '/x', shouldExist: false }, undefined, []],
    [{ name: 't', path: '/x', shouldExist: false }, stat(0o644), ['/x exists but should not']],
    [{ name: 't', path: '/x', permissions: '-rwxr-xr-x' }, stat(0o755), []],
    [
      { name: 't', path: '/x', permissions: '-rwxr-xr-x' },
      stat(0o644),
      ['/x has permissions -rw-r--r--, expected -rwxr-xr-x'],
    ],
    [{ name: 't', path: '/x', isExecutableBy: 'any' as const }, stat(0o744), []],
    [
      { name: 't', path: '/x', isExecutableBy: 'other' as const },
      stat(0o744),
      ['/x is not executable by other (-rwxr--r--)'],
    ],
    [
      { name: 't', path: '/x', isExecutableBy: 'any' as const },
      stat(0o644),
      ['/x is not executable by any (-rw-r--r--)'],
    ],
    [{ name: 't', path: '/x', type: 'directory' as const }, stat(DIR + 0o755), []],
    [{ name: 't', path: '/x', type: 'directory' as const }, stat(0o755), ['/x is a file, expected a directory']],
    [{ name: 't', path: '/x', type: 'symlink' as const }, stat(LINK + 0o777), []],
    [{ name: 't', path: '/x', isDirectory: true }, stat(DIR + 0o755), []],
    [{ name: 't', path: '/x', isDirectory: true }, stat(0o644), ['/x is not a directory (-rw-r--r--)']],
    [{ name: 't', path: '/x', isDirectory: false }, stat(DIR + 0o755), ['/x is a directory (drwxr-xr-x)']],
    [{ name: 't', path: '/x', isExecutableBy: 'owner' as const }, stat(0o100), []],
    [
      { name: 't', path: '/x', isExecutableBy: 'group' as const },
      stat(0o701),
      ['/x is not executable by group (-rwx-----x)'],
    ],
    [{ name: 't', path: '/x', isExecutableBy: 'any' as const }, stat(DIR + 0o001), []],
  ])('%o on %o', (test, found, problems) => {
    expect(fileExistenceProblems(test, found)).toEqual(problems);
  });

  it.each([
    [{ uid: 0, gid: 0 }, { uid: 0, gid: 0 }, []],
    [{ uid: 1000 }, { uid: 0, gid: 1000 }, ['/x is owned by uid 0, expected 1000']],
    [{ gid: 5 }, { uid: 5, gid: 0 }, ['/x has gid 0, expected 5']],
    [{ uid: 1, gid: 2 }, undefined, ['the owner of /x could not be read']],
  ])('ownership %o of an entry owned by %o', (expected, owner, problems) => {
    const test = { name: 't', path: '/x', ...expected };
    expect(needsOwner(test)).toBe(true);
    expect(fileExistenceProblems(test, stat(0o644), owner)).toEqual(problems);
  });

  it('reads no owner when the test does not ask, or asks of a path that must not exist', () => {
    expect(needsOwner({ name: 't', path: '/x', permissions: '-rw-r--r--' })).toBe(false);
    expect(needsOwner({ name: 't', path: '/x', uid: 0, shouldExist: false })).toBe(false);
    expect(fileExistenceProblems({ name: 't', path: '/x', uid: 0, shouldExist: false }, undefined)).toEqual([]);
  });
});

describe('metadataProblems', () => {
  const image: ImageDetails = {
    id: 'sha256:1',
    layers: [],
    labels: { 'org.opencontainers.image.revision': 'abc', 'org.opencontainers.image.version': '1.11.x' },
    env: ['PATH=/usr/bin:/bin', 'container=docker'],
    entrypoint: ['/entrypoint.sh'],
    cmd: null,
    exposedPorts: ['5050/tcp', '5051/tcp', '8080/tcp'],
    workdir: '',
    user: '',
    stopSignal: 'SIGRTMIN+3',
    volumes: ['/var/lib/docker'],
  };
  it.each([
    [{ labels: [{ key: 'org.opencontainers.image.revision', value: 'abc' }] }, []],
    [
      { labels: [{ key: 'org.opencontainers.image.revision', value: 'abd' }] },
      ['label org.opencontainers.image.revision is "abc", expected "abd"'],
    ],
    [{ labels: [{ key: 'org.opencontainers.image.version', value: '^1\\.11\\.', isRegex: true }] }, []],
    [{ labels: [{ key: 'missing', value: 'x' }] }, ['label missing is missing']],
    [{ envVars: [{ key: 'container', value: 'docker' }] }, []],
    [{ envVars: [{ key: 'HOME', value: '/root' }] }, ['env HOME is not set']],
    [{ exposedPorts: ['5050', '8080/tcp'] }, []],
    [{ exposedPorts: ['9090'] }, ['port 9090/tcp is not exposed (exposed: 5050/tcp, 5051/tcp, 8080/tcp)']],
    [{ unexposedPorts: ['5050'] }, ['port 5050/tcp is exposed']],
    [{ entrypoint: ['/entrypoint.sh'] }, []],
    [{ entrypoint: ['/init'] }, ['entrypoint is ["/entrypoint.sh"], expected ["/init"]']],
    [{ cmd: ['x'] }, ['cmd is null, expected ["x"]']],
    [{ stopSignal: 'SIGRTMIN+3' }, []],
    [{ stopSignal: 'SIGTERM' }, ['stop signal is "SIGRTMIN+3", expected "SIGTERM"']],
    [{ volumes: ['/var/lib/docker'] }, []],
    [{ volumes: ['/data'] }, ['volume /data is not declared']],
    [{ unmountedVolumes: ['/data'] }, []],
    [{ unmountedVolumes: ['/var/lib/docker'] }, ['volume /var/lib/docker is declared but should not be']],
    [{ unboundEnvVars: [{ key: 'HOME' }] }, []],
    [{ unboundEnvVars: [{ key: 'container' }] }, ['env container is set (to "docker") but should not be']],
    [{ envVars: [{ key: 'PATH', value: '(?i)^/USR/', isRegex: true }] }, []],
    [
      { envVars: [{ key: 'PATH', value: '^/usr/bin$', isRegex: true }] },
      ['env PATH is "/usr/bin:/bin", expected /^/usr/bin$/'],
    ],
    [{ entrypoint: [], cmd: [] }, ['entrypoint is ["/entrypoint.sh"], expected []']],
  ])('%o', (test, problems) => {
    expect(metadataProblems(test, image)).toEqual(problems);
  });
});

describe('template', () => {
  it('expands every known variable in strings, keys and nested values, and leaves the rest', () => {
    const spec = {
      a: 'v${VERSION}',
      list: ['${GIT_SHA}', 3, null],
      nested: { '${IMAGE_NAME}': '${UNKNOWN} $x ${GIT_BRANCH}' },
    };
    expect(expand(spec, SAMPLE_VALUES)).toEqual({
      a: 'v1.11.x',
      list: [SAMPLE_VALUES.GIT_SHA, 3, null],
      nested: { image: '${UNKNOWN} $x 1.11.x' },
    });
  });
  // A spec's patterns are compiled with these before any build: each must look like a real build's
  // value (templateValues in branch-build.ts), or a pattern would be judged on text it never meets.
  it.each<[keyof typeof SAMPLE_VALUES, RegExp]>([
    ['GIT_REPO', /^https:\/\/\S+\.git$/],
    ['GIT_SHA', /^[0-9a-f]{40}$/],
    ['GIT_SHORT_SHA', new RegExp(`^${SAMPLE_VALUES.GIT_SHA.slice(0, 12)}$`)],
    ['GIT_BRANCH', /^\d+\.\d+\.x$/],
    ['VERSION', /^\d+\.\d+\.x$/],
    ['VERSION_PATTERN', /^1\\\.11\\\.\\d\+$/],
    ['IMAGE_NAME', /^[a-z0-9][a-z0-9._-]*$/],
  ])('the sample %s looks like a real one', (name, shape) => {
    expect(SAMPLE_VALUES[name]).toMatch(shape);
  });
  it.each([
    ['${GIT_SHA} ${NOPE} ${VERSION_PATTERN}', ['NOPE']],
    ['^mesos ${VERSION_PATTERN}$', []],
    ['$GIT_SHA', []],
  ])('unknownVariables(%j)', (text, unknown) => {
    expect(unknownVariables(text)).toEqual(unknown);
  });
});
