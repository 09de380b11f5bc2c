import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readContextFile } from '../dockerfiles/dockerfile-facts.js';
import { buildScriptImage, PRIVILEGES, type ScriptImage } from '../dockerfiles/script-image.js';
import { readStack } from '../helpers/stack.js';

// The production entrypoint of mesos-mini, run in a busybox container against a fake
// /sys/fs/cgroup: its paths are variables, and the bind mounts it makes are real ones.
const FAKE = '/tmp/fake/sys/fs/cgroup';
const ENV = { MINI_CGROUP_ROOT: FAKE, MINI_MOUNTINFO: '/tmp/mountinfo', MINI_CGROUPS_ENV: '/tmp/out/cgroups.env' };

// Runs as the entrypoint's command (it execs it): what the entrypoint left behind.
const REPORT = `#!/bin/sh
echo "args: $*"
sed -n 's/^\\([A-Z_]*=\\)/env: \\1/p' "$MINI_CGROUPS_ENV"
awk -v base="$MINI_CGROUP_ROOT/" 'index($5, base) == 1 { print $5 }' /proc/self/mountinfo | while read -r target; do
  echo "bound: $target <- $(cat "$target/marker" 2>/dev/null || echo nothing)"
done
`;

/** Makes the mount points of a mountinfo file exist under the fake root, each with a marker. */
const MAKE_TREE = `awk -v base="${FAKE}/" 'index($5, base) == 1 { print $5 }' /tmp/mountinfo | while read -r dir; do
  mkdir -p "$dir"; echo "$dir" >"$dir/marker"; echo "hierarchy: $dir"
done`;

function withMountinfo(lines: string[]): string {
  return `set -e\ncat >/tmp/mountinfo <<'EOF'\n${lines.join('\n')}\nEOF\n${MAKE_TREE}\n`;
}

function linesOf(output: string, prefix: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length))
    .sort();
}

let image: ScriptImage;
beforeAll(async () => {
  image = await buildScriptImage(readStack(), {
    '/entrypoint.sh': readContextFile('mesos-mini', 'entrypoint.sh'),
    '/report.sh': REPORT,
  });
});
afterAll(async () => {
  await image?.remove();
});

const run = (script: string): ReturnType<ScriptImage['run']> =>
  image.run({ entrypoint: ['sh', '-c'], cmd: [script], env: ENV, ...PRIVILEGES });

describe('the mesos-mini entrypoint on a cgroup v1 host', () => {
  it('nests every hierarchy of this very container the way Docker placed it, and hands the paths on', async () => {
    // This container's own mountinfo, moved under the fake root: real ids, real hierarchies.
    const result = await run(`set -e
sed "s# /sys/fs/cgroup# ${FAKE}#" /proc/self/mountinfo >/tmp/mountinfo
${MAKE_TREE}
echo "own: $(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)"
exec /entrypoint.sh /report.sh --from-test`);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const [own] = linesOf(result.stdout, 'own: ');
    expect(own).toMatch(/^\/docker\/[0-9a-f]{64}$/);
    const hierarchies = linesOf(result.stdout, 'hierarchy: ');
    expect(hierarchies).toEqual(
      expect.arrayContaining(
        ['cpu', 'memory', 'freezer', 'devices', 'blkio', 'systemd'].map((name) => `${FAKE}/${name}`),
      ),
    );
    expect(linesOf(result.stdout, 'bound: ')).toEqual(hierarchies.map((dir) => `${dir}${own} <- ${dir}`).sort());
    expect(linesOf(result.stdout, 'env: ')).toEqual([
      `DOCKER_CGROUP_PARENT=${own}/docker`,
      `MESOS_CGROUPS_ROOT=${own?.slice(1)}/mesos`,
    ]);
    expect(linesOf(result.stdout, 'args: ')).toEqual(['--from-test']);
  });

  it('follows the systemd cgroup driver, combined and named hierarchies, and ignores everything else', async () => {
    const scope = '/system.slice/docker-0123abcd.scope';
    const result = await run(
      withMountinfo([
        '25 1 0:22 / / rw,relatime - overlay overlay rw',
        `30 25 0:26 / ${FAKE} ro,nosuid shared:4 - tmpfs tmpfs ro,mode=755`,
        `31 30 0:27 ${scope} ${FAKE}/unified rw shared:9 - cgroup2 cgroup2 rw`,
        `32 30 0:28 ${scope} ${FAKE}/systemd rw master:5 - cgroup cgroup rw,xattr,name=systemd`,
        `33 30 0:29 ${scope} ${FAKE}/cpu,cpuacct rw shared:11 master:12 - cgroup cgroup rw,cpu,cpuacct`,
        `34 30 0:30 ${scope} ${FAKE}/memory rw - cgroup cgroup rw,memory`,
        '35 25 0:31 /elsewhere /tmp/elsewhere/memory rw - cgroup cgroup rw,memory',
      ]) + 'exec /entrypoint.sh /report.sh',
    );
    expect(result.exitCode).toBe(0);
    expect(linesOf(result.stdout, 'bound: ')).toEqual(
      ['cpu,cpuacct', 'memory', 'systemd'].map((name) => `${FAKE}/${name}${scope} <- ${FAKE}/${name}`),
    );
    expect(linesOf(result.stdout, 'env: ')).toEqual([
      `DOCKER_CGROUP_PARENT=${scope}/docker`,
      `MESOS_CGROUPS_ROOT=${scope.slice(1)}/mesos`,
    ]);
    expect(linesOf(result.stdout, 'args: ')).toEqual(['']);
  });

  it('binds nothing in a private cgroup namespace, where the paths already agree', async () => {
    const result = await run(
      withMountinfo([
        `30 25 0:26 / ${FAKE}/memory rw - cgroup cgroup rw,memory`,
        `31 25 0:27 / ${FAKE}/freezer rw - cgroup cgroup rw,freezer`,
      ]) + 'exec /entrypoint.sh /report.sh',
    );
    expect(result.exitCode).toBe(0);
    expect(linesOf(result.stdout, 'bound: ')).toEqual([]);
    expect(linesOf(result.stdout, 'env: ')).toEqual(['DOCKER_CGROUP_PARENT=/docker', 'MESOS_CGROUPS_ROOT=mesos']);
  });

  it('stops with a reason when the container sits in different cgroups per hierarchy', async () => {
    const result = await run(
      withMountinfo([
        `30 25 0:26 /docker/aaa ${FAKE}/memory rw - cgroup cgroup rw,memory`,
        `31 25 0:27 /docker/bbb ${FAKE}/freezer rw - cgroup cgroup rw,freezer`,
      ]) +
        '/entrypoint.sh /report.sh || echo "entrypoint exit: $?"; if [ -e /tmp/out/cgroups.env ]; then echo "env written"; fi',
    );
    expect(result.stdout.trim()).toBe(
      'hierarchy: /tmp/fake/sys/fs/cgroup/memory\nhierarchy: /tmp/fake/sys/fs/cgroup/freezer\nentrypoint exit: 1',
    );
    expect(result.stderr).toContain('mesos-mini: the container is in different cgroups in different hierarchies:');
  });

  it('asks for --privileged when run without it, on this host’s real cgroup hierarchies', async () => {
    const result = await image.run({ entrypoint: ['/entrypoint.sh'], cmd: ['/report.sh'] });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^mesos-mini: cannot create \/sys\/fs\/cgroup\/\S+\/docker\/[0-9a-f]{64}: mesos-mini needs `docker run --privileged`/,
    );
  });

  it('asks for --privileged when the hierarchies are read-only', async () => {
    const result = await run(
      withMountinfo([`30 25 0:26 /docker/aaa ${FAKE}/memory rw - cgroup cgroup rw,memory`]) +
        `mount -t tmpfs -o ro tmpfs ${FAKE}/memory\n/entrypoint.sh /report.sh || echo "entrypoint exit: $?"; if [ -e /tmp/out/cgroups.env ]; then echo "env written"; fi`,
    );
    expect(linesOf(result.stdout, 'entrypoint exit: ')).toEqual(['1']);
    expect(result.stdout).not.toContain('env written');
    expect(result.stderr).toBe(
      `mesos-mini: cannot create ${FAKE}/memory/docker/aaa: mesos-mini needs \`docker run --privileged\` (without it the cgroup hierarchies are read-only).\n`,
    );
  });
});

describe('the mesos-mini entrypoint on a cgroup v2 host', () => {
  it('stops at once, says the host uses cgroup v2 and what to do, and starts nothing', async () => {
    const result = await run(
      withMountinfo([`30 25 0:26 / ${FAKE} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate`]) +
        `mkdir -p ${FAKE} && echo "cpuset cpu io memory pids" >${FAKE}/cgroup.controllers\n` +
        '/entrypoint.sh /report.sh || echo "entrypoint exit: $?"; if [ -e /tmp/out/cgroups.env ]; then echo "env written"; fi',
    );
    expect(linesOf(result.stdout, 'entrypoint exit: ')).toEqual(['1']);
    expect(result.stdout).not.toContain('args:');
    expect(result.stdout).not.toContain('env written');
    expect(result.stderr).toMatch(/^mesos-mini: this host uses cgroup v2 /);
    expect(result.stderr).toContain('systemd.unified_cgroup_hierarchy=0');
    expect(result.stderr).toContain('"deprecatedCgroupv1": true');
  });
});
