import { describe, expect, it } from 'vitest';
import type { ImageDetails, PathStat } from '../../../pipeline/ports.js';
import { fileExistenceProblems, permissionString } from '../../../pipeline/smoke/file-tests.js';
import { metadataProblems } from '../../../pipeline/smoke/metadata-test.js';
import type { FileExistenceTest, MetadataTest } from '../../../pipeline/smoke/spec-schema.js';

// Go's os.FileMode type bits, as the engine's path stat reports them.
const DIR = 2 ** 31;
const SYMLINK = 2 ** 27;
const SETUID = 2 ** 23;

describe('permissionString', () => {
  it.each([
    [0o000, '----------'],
    [0o777, '-rwxrwxrwx'],
    [0o421, '-r---w---x'],
    [0o124, '---x-w-r--'],
    [DIR + 0o700, 'drwx------'],
    // As Go's os.FileMode prints them, which container-structure-test compares against.
    [DIR + SYMLINK + 0o755, 'dLrwxr-xr-x'],
    [SYMLINK + 0o777, 'Lrwxrwxrwx'],
    [SETUID + 0o755, 'urwxr-xr-x'],
    [0o1755, '-rwxr-xr-x'],
  ])('mode %o is %s', (mode, text) => {
    expect(permissionString(mode)).toBe(text);
  });
});

describe('fileExistenceProblems', () => {
  const stat = (mode: number): PathStat => ({ name: 'x', size: 1, mode, linkTarget: '' });
  const test = (fields: Partial<FileExistenceTest>): FileExistenceTest => ({ name: 't', path: '/x', ...fields });

  it.each<[string, Partial<FileExistenceTest>, PathStat | undefined, string[]]>([
    ['exists', {}, stat(0o644), []],
    ['exists, as asked explicitly', { shouldExist: true }, stat(0o644), []],
    ['missing, as asked explicitly', { shouldExist: true }, undefined, ['/x does not exist']],
    ['executable by its owner', { isExecutableBy: 'owner' }, stat(0o744), []],
    [
      'not executable by its owner',
      { isExecutableBy: 'owner' },
      stat(0o655),
      ['/x is not executable by owner (-rw-r-xr-x)'],
    ],
    ['executable by the group', { isExecutableBy: 'group' }, stat(0o654), []],
    [
      'not executable by the group',
      { isExecutableBy: 'group' },
      stat(0o745),
      ['/x is not executable by group (-rwxr--r-x)'],
    ],
    ['executable by others', { isExecutableBy: 'other' }, stat(0o645), []],
    ['executable by any: others only', { isExecutableBy: 'any' }, stat(0o641), []],
    ['executable by any: group only', { isExecutableBy: 'any' }, stat(0o650), []],
    ['a symlink', { type: 'symlink' }, stat(SYMLINK + 0o777), []],
    ['a file', { type: 'file' }, stat(0o644), []],
    // The directory bit alone, no permission bit set (d---------): still a directory.
    ['a directory no one may read', { type: 'directory' }, stat(DIR), []],
    ['a directory, not a file', { type: 'file' }, stat(DIR + 0o755), ['/x is a directory, expected a file']],
    [
      'a symlink, not a directory',
      { type: 'directory' },
      stat(SYMLINK + 0o777),
      ['/x is a symlink, expected a directory'],
    ],
    [
      'every problem at once',
      { permissions: '-rwxr-xr-x', isExecutableBy: 'owner', type: 'directory' },
      stat(0o644),
      [
        '/x has permissions -rw-r--r--, expected -rwxr-xr-x',
        '/x is not executable by owner (-rw-r--r--)',
        '/x is a file, expected a directory',
      ],
    ],
    ['permissions of a directory', { permissions: 'drwxr-xr-x' }, stat(DIR + 0o755), []],
  ])('%s', (_, fields, found, problems) => {
    expect(fileExistenceProblems(test(fields), found)).toEqual(problems);
  });
});

describe('metadataProblems', () => {
  const image: ImageDetails = {
    id: 'sha256:1',
    layers: [],
    labels: { version: '1.11.0' },
    env: ['PATH=/usr/bin:/bin', 'JAVA_OPTS=-Xmx1g -Dx=y', 'EMPTY='],
    entrypoint: ['/init', '--log'],
    cmd: null,
    exposedPorts: [],
    workdir: '/srv',
    user: 'mesos',
    stopSignal: undefined,
    volumes: [],
  };

  it.each<[string, MetadataTest, string[]]>([
    ['nothing asked', {}, []],
    ['a label by regex', { labels: [{ key: 'version', value: '^1\\.11\\.\\d+$', isRegex: true }] }, []],
    [
      'a label that does not match its regex',
      { labels: [{ key: 'version', value: '^1\\.10', isRegex: true }] },
      ['label version is "1.11.0", expected /^1\\.10/'],
    ],
    [
      'a label is not a regex unless asked',
      { labels: [{ key: 'version', value: '1.11.\\d' }] },
      ['label version is "1.11.0", expected "1.11.\\\\d"'],
    ],
    ['an env value holding =', { envVars: [{ key: 'JAVA_OPTS', value: '-Xmx1g -Dx=y' }] }, []],
    ['an empty env value', { envVars: [{ key: 'EMPTY', value: '' }] }, []],
    ['an env value by regex', { envVars: [{ key: 'PATH', value: '(^|:)/usr/bin(:|$)', isRegex: true }] }, []],
    [
      'an env value that differs',
      { envVars: [{ key: 'PATH', value: '/bin' }] },
      ['env PATH is "/usr/bin:/bin", expected "/bin"'],
    ],
    [
      'an env value that does not match its regex',
      { envVars: [{ key: 'PATH', value: '^/sbin', isRegex: true }] },
      ['env PATH is "/usr/bin:/bin", expected /^/sbin/'],
    ],
    ['no ports exposed', { exposedPorts: ['5050'] }, ['port 5050/tcp is not exposed (exposed: none)']],
    ['an unexposed UDP port', { unexposedPorts: ['53/udp'] }, []],
    ['the whole entrypoint', { entrypoint: ['/init', '--log'] }, []],
    ['a shorter entrypoint', { entrypoint: ['/init'] }, ['entrypoint is ["/init","--log"], expected ["/init"]']],
    [
      'a longer entrypoint',
      { entrypoint: ['/init', '--log', '-v'] },
      ['entrypoint is ["/init","--log"], expected ["/init","--log","-v"]'],
    ],
    ['no cmd, none expected', { cmd: [] }, []],
    ['the workdir', { workdir: '/srv' }, []],
    ['another workdir', { workdir: '/' }, ['workdir is "/srv", expected "/"']],
    ['the user', { user: 'mesos' }, []],
    ['another user', { user: 'root' }, ['user is "mesos", expected "root"']],
    ['no stop signal set', { stopSignal: 'SIGTERM' }, ['stop signal is null, expected "SIGTERM"']],
  ])('%s', (_, test, problems) => {
    expect(metadataProblems(test, image)).toEqual(problems);
  });
});
