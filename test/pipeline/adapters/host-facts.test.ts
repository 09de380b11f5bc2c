import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalHostFacts } from '../../../pipeline/adapters/host-facts.js';
import type { EngineInfo } from '../../../pipeline/ports.js';
import { writeTree } from '../../helpers/temp-files.js';

// LocalHostFacts on fake host trees (what MESOS_PIPELINE_HOST_ROOT points at) and fake engines.
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const ENGINE: EngineInfo = {
  address: 'unix:///var/run/docker.sock',
  serverVersion: '27.0.0',
  cgroupVersion: '1',
  cgroupDriver: 'cgroupfs',
  name: 'runner',
  securityOptions: ['name=seccomp,profile=builtin'],
};
const FULL_41 = '000001ffffffffff';

function root(files: Record<string, string>): string {
  const dir = writeTree(files);
  dirs.push(dir);
  return dir;
}

const status = (bounding: string) => `Name:\tnode\nCapInh:\t0000000000000000\nCapBnd:\t${bounding}\n`;

describe('LocalHostFacts', () => {
  it.each([
    ['the unified hierarchy alone: v2', { 'sys/fs/cgroup/cgroup.controllers': 'cpu io memory\n' }, 2],
    [
      'v1 hierarchies (and a hybrid unified one): v1',
      { 'sys/fs/cgroup/memory/tasks': '', 'sys/fs/cgroup/unified/x': '' },
      1,
    ],
    ['no cgroup file system: unknown', { 'proc/self/status': '' }, undefined],
  ])('reads the cgroup version from the tree it is given: %s', async (_, files, version) => {
    expect(await new LocalHostFacts({ engine: ENGINE, hostname: 'runner', root: root(files) }).cgroupVersion()).toBe(
      version,
    );
  });

  it('believes the engine about cgroups when it reads the real host', async () => {
    const facts = new LocalHostFacts({ engine: { ...ENGINE, cgroupVersion: '2' }, hostname: 'elsewhere' });
    expect(await facts.cgroupVersion()).toBe(2);
  });

  it.each([
    ['every capability in the bounding set', FULL_41, '40', { status: 'yes' }],
    [
      'CAP_SYS_RESOURCE outside it (this CI machine)',
      '000001fffeffffff',
      '40',
      {
        status: 'no',
        why:
          'the engine cannot grant CAP_SYS_RESOURCE (outside its capability bounding set), so `docker ' +
          'run --privileged` fails here',
      },
    ],
    ['an older kernel with fewer capabilities, all granted', '0000003fffffffff', '37', { status: 'yes' }],
  ])('tells whether a privileged container can start: %s', async (_, bounding, last, fact) => {
    const dir = root({ 'proc/self/status': status(bounding), 'proc/sys/kernel/cap_last_cap': `${last}\n` });
    expect(await new LocalHostFacts({ engine: ENGINE, hostname: 'runner', root: dir }).privileged()).toEqual(fact);
  });

  it('refuses privileged containers on a rootless engine, and cannot tell for an engine elsewhere', async () => {
    const rootless = { ...ENGINE, securityOptions: ['name=seccomp,profile=builtin', 'name=rootless'] };
    expect((await new LocalHostFacts({ engine: rootless, hostname: 'runner' }).privileged()).status).toBe('no');
    const remote = { ...ENGINE, address: 'tcp://10.0.0.2:2376', name: 'builder' };
    expect(await new LocalHostFacts({ engine: remote, hostname: 'runner' }).privileged()).toEqual({
      status: 'unknown',
      why: 'the engine runs on builder, whose capabilities cannot be read from here',
    });
    // Same socket path, another machine's name: a socket mounted into a job container.
    expect((await new LocalHostFacts({ engine: ENGINE, hostname: 'job-1234' }).privileged()).status).toBe('unknown');
  });

  it('finds kernel modules loaded, built in or loadable, and says which are missing', async () => {
    const dir = root({
      'proc/sys/kernel/osrelease': '6.8.0-test\n',
      'sys/module/bridge/refcnt': '1\n',
      'sys/module/br_netfilter/refcnt': '0\n',
      'lib/modules/6.8.0-test/modules.builtin': 'kernel/drivers/net/veth.ko\n',
      'lib/modules/6.8.0-test/modules.dep':
        'kernel/net/netfilter/xt_MASQUERADE.ko.zst: ' +
        'kernel/net/netfilter/nf_nat.ko.zst\nkernel/net/netfilter/nf_nat.ko.zst:\n',
    });
    const facts = new LocalHostFacts({ engine: ENGINE, hostname: 'runner', root: dir });
    expect(await facts.kernelModules(['bridge', 'br_netfilter', 'veth', 'xt_MASQUERADE', 'nf_nat', 'overlay'])).toEqual(
      {
        missing: ['overlay'],
        unknown: [],
      },
    );
  });

  it('cannot tell about modules without the running kernel’s module lists, or for an engine elsewhere', async () => {
    const dir = root({ 'proc/sys/kernel/osrelease': '6.8.0-test\n', 'sys/module/bridge/refcnt': '1\n' });
    const facts = new LocalHostFacts({ engine: ENGINE, hostname: 'runner', root: dir });
    expect(await facts.kernelModules(['bridge', 'veth'])).toEqual({ missing: [], unknown: ['veth'] });
    const remote = new LocalHostFacts({ engine: { ...ENGINE, address: 'tcp://x:2376' }, hostname: 'runner' });
    expect(await remote.kernelModules(['bridge'])).toEqual({ missing: [], unknown: ['bridge'] });
  });
});
