import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalHostCgroups } from '../../../pipeline/adapters/host-cgroups.js';
import { writeTree } from '../../helpers/temp-files.js';

// LocalHostCgroups against fake /sys/fs/cgroup trees: directories are cgroups, files are not.
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tree(cgroups: string[], files: Record<string, string> = {}): string {
  const root = writeTree(files);
  dirs.push(root);
  for (const cgroup of cgroups) mkdirSync(path.join(root, cgroup), { recursive: true });
  return root;
}

describe('LocalHostCgroups.matching', () => {
  it('looks below every hierarchy of a cgroup v1 host, once per hierarchy, not through symlinks', () => {
    const root = tree(
      ['memory/mesos/c1', 'memory/docker/abc/mesos', 'cpu,cpuacct/mesos', 'systemd/system.slice', 'unified/mesos'],
      { 'memory/mesos-not-a-cgroup': '' },
    );
    symlinkSync('cpu,cpuacct', path.join(root, 'cpu'));
    const cgroups = new LocalHostCgroups(root);
    return Promise.all([
      expect(cgroups.matching(['mesos'])).resolves.toEqual(
        ['cpu,cpuacct/mesos', 'memory/mesos', 'unified/mesos'].map((p) => path.join(root, p)),
      ),
      expect(cgroups.matching(['docker/*/mesos', 'mesos/*'])).resolves.toEqual(
        ['memory/docker/abc/mesos', 'memory/mesos/c1'].map((p) => path.join(root, p)),
      ),
      expect(cgroups.matching(['mesos-*'])).resolves.toEqual([]),
    ]);
  });

  it('looks below the one unified hierarchy of a cgroup v2 host', async () => {
    const root = tree(['mesos/agent/leaf', 'system.slice/docker-abc.scope/mesos', 'init.scope'], {
      'cgroup.controllers': 'cpu io memory pids\n',
    });
    const cgroups = new LocalHostCgroups(root);
    expect(await cgroups.matching(['mesos', 'system.slice/docker-*.scope/mesos'])).toEqual(
      ['mesos', 'system.slice/docker-abc.scope/mesos'].map((p) => path.join(root, p)),
    );
    expect(await cgroups.matching(['mesos.*'])).toEqual([]);
  });

  it('finds nothing where there is no cgroup file system', async () => {
    expect(await new LocalHostCgroups('/nonexistent/cgroup').matching(['mesos'])).toEqual([]);
  });
});
