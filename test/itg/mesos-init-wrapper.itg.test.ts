import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readContextFile } from '../dockerfiles/dockerfile-facts.js';
import { buildScriptImage, type ScriptImage } from '../dockerfiles/script-image.js';
import { readStack } from '../helpers/stack.js';

// mesos-centos' mesos-init-wrapper, run in busybox with fake mesos binaries that print what they
// were started with: the flags the units and /etc files produce, values with spaces intact.
const FAKE_MESOS = `#!/bin/sh
echo "binary: $0"
for arg in "$@"; do echo "arg: $arg"; done
env | grep '^MESOS_' | sort | sed 's/^/env: /'
`;

const CONFIGURE = `set -e
mkdir -p /etc/default /etc/mesos-agent/attributes /etc/mesos-master
echo 'MESOS_LOG_DIR=/var/log/mesos' >/etc/default/mesos
printf '%s\\n' 'MESOS_MASTER=127.0.0.1:5050' 'MESOS_HOSTNAME=$(echo mini)' >/etc/default/mesos-agent
echo 'MESOS_QUORUM=1' >/etc/default/mesos-master
echo '/var/lib/mesos agent' >/etc/mesos-agent/work_dir
touch '/etc/mesos-agent/?no-systemd_enable_support'
echo 'ignored: a directory' >/etc/mesos-agent/attributes/rack
`;

let image: ScriptImage;
beforeAll(async () => {
  image = await buildScriptImage(readStack(), {
    '/usr/bin/mesos-init-wrapper': readContextFile('mesos-centos', 'mesos-init-wrapper.sh'),
    '/usr/sbin/mesos-agent': FAKE_MESOS,
    '/usr/sbin/mesos-master': FAKE_MESOS,
  });
});
afterAll(async () => {
  await image?.remove();
});

const wrapper = (...args: string[]): ReturnType<ScriptImage['run']> =>
  image.run({ entrypoint: ['sh', '-c', `${CONFIGURE}exec mesos-init-wrapper "$@"`, 'wrapper'], cmd: args });

const linesOf = (output: string, prefix: string): string[] =>
  output
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));

describe('mesos-init-wrapper', () => {
  it('starts the agent (also as "slave") with the flags of /etc files first and the command line last', async () => {
    const result = await wrapper('slave', '--port=5052', '--attributes=rack:a b');
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(linesOf(result.stdout, 'binary: ')).toEqual(['/usr/sbin/mesos-agent']);
    expect(linesOf(result.stdout, 'arg: ')).toEqual([
      '--no-systemd_enable_support',
      '--work_dir=/var/lib/mesos agent',
      '--port=5052',
      '--attributes=rack:a b',
    ]);
    // The environment files are shell, exported: $(...) is evaluated, the master's stays out.
    expect(linesOf(result.stdout, 'env: ')).toEqual([
      'MESOS_HOSTNAME=mini',
      'MESOS_LOG_DIR=/var/log/mesos',
      'MESOS_MASTER=127.0.0.1:5050',
    ]);
  });

  it('starts the master with its own environment file', async () => {
    const result = await wrapper('master');
    expect(result.exitCode).toBe(0);
    expect(linesOf(result.stdout, 'binary: ')).toEqual(['/usr/sbin/mesos-master']);
    expect(linesOf(result.stdout, 'arg: ')).toEqual([]);
    expect(linesOf(result.stdout, 'env: ')).toEqual(['MESOS_LOG_DIR=/var/log/mesos', 'MESOS_QUORUM=1']);
  });

  it.each([
    [[], 2, /^usage: mesos-init-wrapper master\|agent/],
    [['scheduler'], 2, /^mesos-init-wrapper: unknown role "scheduler"\nusage:/],
    [['--help'], 0, /^usage: mesos-init-wrapper master\|agent/],
  ])('answers %j with exit %i and how to call it', async (args, code, message) => {
    const result = await wrapper(...args);
    expect(result.exitCode).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });
});
