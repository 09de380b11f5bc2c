import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readContextFile } from '../dockerfiles/dockerfile-facts.js';
import { buildScriptImage, PRIVILEGES, type ScriptImage } from '../dockerfiles/script-image.js';
import { readStack } from '../helpers/stack.js';

// The production entrypoint of mesos-mini, run in a busybox container against a fake
// /sys/fs/cgroup: its paths are variables, and the bind mounts it makes are real ones. On cgroup
// v2 the fake mountinfo says systemd's named hierarchy is mounted already: mounting one for real
// would reach the host's (such a hierarchy is global), so that one mount is checked statically in
// test/dockerfiles/mesos-mini.test.ts. "Mesos" is the cgroup-versions file mesos-centos writes: a
// v1-only Mesos (1.11 and older) or one with the cgroups v2 isolator (master).
const FAKE = '/tmp/fake/sys/fs/cgroup';
const V1_ONLY = '/mesos/v1-only';
const WITH_V2 = '/mesos/with-v2';
const ENV = {
  MINI_CGROUP_ROOT: FAKE,
  MINI_MOUNTINFO: '/tmp/mountinfo',
  MINI_PROC_CGROUP: '/tmp/proc-cgroup',
  MINI_CGROUPS_ENV: '/tmp/out/cgroups.env',
  MINI_CGROUP_VERSIONS: V1_ONLY,
  MINI_AGENT_DEFAULTS: '/etc/default/mesos-agent',
};

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
// One image for every test (V2_REPORT, below, is the report of the last one).
beforeAll(async () => {
  image = await buildScriptImage(readStack(), {
    '/entrypoint.sh': readContextFile('mesos-mini', 'entrypoint.sh'),
    '/report.sh': REPORT,
    '/report-v2.sh': V2_REPORT,
    [V1_ONLY]: '1\n',
    [WITH_V2]: '1 2\n',
    '/etc/default/mesos-agent': readContextFile('mesos-mini', 'mesos/mesos-agent'),
  });
});
afterAll(async () => {
  await image?.remove();
});

const run = (script: string, mesos = V1_ONLY): ReturnType<ScriptImage['run']> =>
  image.run({ entrypoint: ['sh', '-c'], cmd: [script], env: { ...ENV, MINI_CGROUP_VERSIONS: mesos }, ...PRIVILEGES });

/** The cgroups.env a cgroup v1 host gets for a container at `cgroup`. */
const v1Env = (cgroup: string): string[] =>
  [
    `DOCKER_CGROUP_PARENT=${cgroup === '/' ? '' : cgroup}/docker`,
    `MESOS_CGROUPS_ROOT=${cgroup === '/' ? '' : `${cgroup.slice(1)}/`}mesos`,
    'MINI_AGENT_FLAGS=',
    'MINI_CGROUP_VERSION=1',
  ].sort();

describe.concurrent('the mesos-mini entrypoint on a cgroup v1 host', () => {
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
    expect(linesOf(result.stdout, 'env: ')).toEqual(v1Env(own ?? ''));
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
    expect(linesOf(result.stdout, 'env: ')).toEqual(v1Env(scope));
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
    expect(linesOf(result.stdout, 'env: ')).toEqual(v1Env('/'));
  });

  it('stops with a reason when the container sits in different cgroups per hierarchy', async () => {
    const result = await run(
      withMountinfo([
        `30 25 0:26 /docker/aaa ${FAKE}/memory rw - cgroup cgroup rw,memory`,
        `31 25 0:27 /docker/bbb ${FAKE}/freezer rw - cgroup cgroup rw,freezer`,
      ]) +
        '/entrypoint.sh /report.sh || echo "entrypoint exit: $?"; if [ -e /tmp/out/cgroups.env ]; then ' +
        'echo "env written"; fi',
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
        `mount -t tmpfs -o ro tmpfs ${FAKE}/memory\n/entrypoint.sh /report.sh || echo "entrypoint exit: ` +
        `$?"; if [ -e /tmp/out/cgroups.env ]; then echo "env written"; fi`,
    );
    expect(linesOf(result.stdout, 'entrypoint exit: ')).toEqual(['1']);
    expect(result.stdout).not.toContain('env written');
    expect(result.stderr).toBe(
      `mesos-mini: cannot create ${FAKE}/memory/docker/aaa: mesos-mini needs \`docker run --privileged\` ` +
        `(without it the cgroup hierarchies are read-only).\n`,
    );
  });
});

describe.concurrent(
  'the mesos-mini entrypoint on a cgroup v1 host, with a Mesos that also has the cgroups v2 isolator',
  () => {
    it('sets up cgroup v1 exactly as for a v1-only Mesos: master runs on both', async () => {
      const lines = [
        `31 30 0:27 /docker/aaa ${FAKE}/memory rw - cgroup cgroup rw,memory`,
        `32 30 0:28 /docker/aaa ${FAKE}/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct`,
      ];
      const [v1only, withV2] = await Promise.all([
        run(withMountinfo(lines) + 'exec /entrypoint.sh /report.sh', V1_ONLY),
        run(withMountinfo(lines) + 'exec /entrypoint.sh /report.sh', WITH_V2),
      ]);
      expect(withV2.exitCode).toBe(0);
      expect(withV2.stdout).toBe(v1only.stdout);
      expect(linesOf(withV2.stdout, 'env: ')).toEqual(v1Env('/docker/aaa'));
    });
  },
);

/** A cgroup v2 host seen from a container at /docker/abc in the host's cgroup namespace. */
const V2_TREE = `set -e
mkdir -p ${FAKE}/docker/abc
echo "cpuset cpu io memory hugetlb pids" >${FAKE}/cgroup.controllers
echo "cpu io memory pids" >${FAKE}/docker/abc/cgroup.controllers
printf '1\\n7\\n' >${FAKE}/docker/abc/cgroup.procs
: >${FAKE}/docker/abc/cgroup.subtree_control
echo "the host's root cgroup" >${FAKE}/marker
echo "the container's own cgroup" >${FAKE}/docker/abc/marker
echo "30 25 0:26 / ${FAKE} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate" >/tmp/mountinfo
`;

/** As V2_TREE, with systemd's named hierarchy mounted already (see the top of this file). */
const V2_TREE_SYSTEMD = `${V2_TREE}echo "31 30 0:27 / ${FAKE}/systemd rw - cgroup cgroup rw,name=systemd" \
  >>/tmp/mountinfo
`;

/** What the entrypoint left for systemd, shown by the command it execs. */
const V2_REPORT = `#!/bin/sh
echo "pid: $$"
sed -n 's/^\\([A-Z_]*=\\)/env: \\1/p' "$MINI_CGROUPS_ENV"
echo "at ${FAKE}: $(cat ${FAKE}/marker)"
echo "at ${FAKE}/docker/abc: $(cat ${FAKE}/docker/abc/marker)"
sed 's/^/moved: /' ${FAKE}/init/cgroup.procs
sed 's/^/enabled: /' ${FAKE}/cgroup.subtree_control
echo "systemd's cgroup holds: $(cat ${FAKE}/systemd/docker/abc/cgroup.procs)"
`;

describe.concurrent('the mesos-mini entrypoint on a cgroup v2 host', () => {
  const refused = (script: string, mesos: string): ReturnType<ScriptImage['run']> =>
    run(
      `${script}\n/entrypoint.sh /report.sh || echo "entrypoint exit: $?"; if [ -e /tmp/out/cgroups.env ` +
        `]; then echo "env written"; fi`,
      mesos,
    );

  it('refuses a v1-only Mesos in one line that names the tags that do run there, and starts nothing', async () => {
    const result = await refused(V2_TREE + "echo '0::/docker/abc' >/tmp/proc-cgroup", V1_ONLY);
    expect(linesOf(result.stdout, 'entrypoint exit: ')).toEqual(['1']);
    expect(result.stdout).not.toContain('args:');
    expect(result.stdout).not.toContain('env written');
    expect(result.stderr.split('\n')).toHaveLength(2); // one line and its newline
    expect(result.stderr).toMatch(
      /^mesos-mini: this host uses cgroup v2 and the Mesos in this image .* supports cgroup v1 only/,
    );
    expect(result.stderr).toContain('tags master, latest, master-<date>');
    expect(result.stderr).toContain('systemd.unified_cgroup_hierarchy=0');
    expect(result.stderr).toContain('"deprecatedCgroupv1": true');
  });

  it('asks a Mesos with the v2 isolator for --cgroupns=host in a private cgroup namespace, in one line', async () => {
    const result = await refused(V2_TREE + "echo '0::/' >/tmp/proc-cgroup", WITH_V2);
    expect(linesOf(result.stdout, 'entrypoint exit: ')).toEqual(['1']);
    expect(result.stdout).not.toContain('env written');
    expect(result.stderr).toMatch(
      /^mesos-mini: on a cgroup v2 host mesos-mini needs `docker run --cgroupns=host`[^\n]*\n$/,
    );
  });

  it('asks for --privileged when the unified hierarchy is read-only', async () => {
    const result = await refused(
      V2_TREE + `echo '0::/docker/abc' >/tmp/proc-cgroup\nmount -t tmpfs -o ro tmpfs ${FAKE}/docker/abc`,
      WITH_V2,
    );
    expect(linesOf(result.stdout, 'entrypoint exit: ')).toEqual(['1']);
    expect(result.stderr).toBe(
      `mesos-mini: cannot create ${FAKE}/docker/abc/init: mesos-mini needs \`docker run --privileged\` ` +
        `(without it the cgroup hierarchies are read-only).\n`,
    );
  });

  it('nests the cluster in the container’s own cgroup for a Mesos with the v2 isolator, and starts it', async () => {
    const result = await run(
      V2_TREE_SYSTEMD + "echo '0::/docker/abc' >/tmp/proc-cgroup\nexec /entrypoint.sh /report-v2.sh",
      WITH_V2,
    );
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const [pid] = linesOf(result.stdout, 'pid: ');
    // Its processes left its cgroup for <own>/init, whose controllers its children may now use.
    expect(linesOf(result.stdout, 'moved: ')).toEqual(['1', '7']);
    expect(linesOf(result.stdout, 'enabled: ')).toEqual(['+cpu', '+io', '+memory', '+pids']);
    // /sys/fs/cgroup is the container's own cgroup, and so is the path /proc/<pid>/cgroup names.
    expect(linesOf(result.stdout, `at ${FAKE}: `)).toEqual(["the container's own cgroup"]);
    expect(linesOf(result.stdout, `at ${FAKE}/docker/abc: `)).toEqual(["the container's own cgroup"]);
    // systemd 219 finds itself (the entrypoint's pid, kept by exec) at <own> in its hierarchy.
    expect(linesOf(result.stdout, "systemd's cgroup holds: ")).toEqual([pid]);
    const isolation = readContextFile('mesos-mini', 'mesos/mesos-agent')
      .split('\n')
      .find((line) => line.startsWith('MESOS_ISOLATION='))
      ?.slice('MESOS_ISOLATION='.length);
    expect(isolation).toContain('cgroups/blkio');
    expect(linesOf(result.stdout, 'env: ')).toEqual(
      [
        'DOCKER_CGROUP_PARENT=/docker/abc/docker',
        'MESOS_CGROUPS_ROOT=docker/abc/mesos',
        `MINI_AGENT_FLAGS=--isolation=${isolation?.replace('cgroups/blkio', 'cgroups/io')}`,
        'MINI_CGROUP_VERSION=2',
      ].sort(),
    );
  });
});
