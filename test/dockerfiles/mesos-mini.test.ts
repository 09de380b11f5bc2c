import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../helpers/temp-files.js';
import { downloadsOf } from '../../pipeline/family/download-pins.js';
import { argDefaults, readContextFile, readDockerfile, runs } from './dockerfile-facts.js';

const facts = readDockerfile('mesos-mini');
const defaults = argDefaults(facts);
const steps = (keyword: string): string[] =>
  facts.all.filter((step) => step.keyword === keyword).map((step) => step.text);
const allRuns = runs(facts)
  .map((step) => step.text)
  .join('\n');

/** KEY=value lines of an environment file. */
function envFile(file: string): Map<string, string> {
  const lines = readContextFile('mesos-mini', file).split('\n');
  return new Map(
    lines
      .filter((line) => /^\w+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('dockerfiles/mesos-mini/Dockerfile', () => {
  it('is built FROM exactly the mesos-centos image of the same run, with no fallback', () => {
    expect([...facts.globalArgs]).toEqual([['BASE_IMAGE', undefined]]);
    expect(facts.stages.map((stage) => stage.from)).toEqual(['${BASE_IMAGE}']);
  });

  it('runs systemd as PID 1 behind the cgroup entrypoint, stops it the systemd way and exposes the three ports', () => {
    expect(steps('ENV')).toEqual(['container=docker']);
    expect(steps('STOPSIGNAL')).toEqual(['SIGRTMIN+3']);
    expect(steps('ENTRYPOINT')).toEqual(['["/entrypoint.sh"]']);
    expect(steps('CMD')).toEqual(['["/usr/sbin/init"]']);
    expect(steps('EXPOSE').join(' ').split(/\s+/).sort()).toEqual(['5050', '5051', '8080']);
    expect(steps('VOLUME')).toEqual(['/var/lib/docker']);
  });

  it('trims the units a container cannot run and enables the five services', () => {
    expect(allRuns).toContain(
      'if [ "$unit" != sysinit.target.wants/systemd-tmpfiles-setup.service ]; then rm -f "$unit"; fi',
    );
    expect(allRuns).toMatch(/systemctl mask [^&]*\bgetty\.target\b[^&]*\bsystemd-logind\.service\b/);
    const enable = /systemctl enable ([^&\n]+)/.exec(allRuns)?.[1]?.trim().split(/\s+/).sort();
    expect(enable).toEqual([
      'docker.service',
      'marathon.service',
      'mesos-agent.service',
      'mesos-master.service',
      'zookeeper.service',
    ]);
  });

  it('installs Marathon 1.6.322 checked against the SHA-1 DC/OS published for it, URL overridable for a mirror', () => {
    // dcos/dcos packages/marathon/buildinfo.json at c36e7a5ddf253ff90c07bc552f08f920617a6848.
    expect(defaults.get('MARATHON_URL')).toBe(
      'https://s3.amazonaws.com/downloads.mesosphere.io/marathon/builds/1.6.322-2bf46b341/marathon-1.6.322-2bf46b341.tgz',
    );
    expect(defaults.get('MARATHON_SHA1')).toBe('3eb9a0d89bc328aa289dd748cad6521e0cb7b4eb');
    expect(defaults.get('MARATHON_SHA256')).toBe('');
    const [marathon] = downloadsOf(readContextFile('mesos-mini', 'Dockerfile')).filter(
      (download) => download.urlArg === 'MARATHON_URL',
    );
    expect(marathon?.checks.map(({ arg, algorithm, optional }) => [arg, algorithm, optional])).toEqual([
      ['MARATHON_SHA1', 'sha1', false],
      ['MARATHON_SHA256', 'sha256', true],
    ]);
    // Both checks come before the archive is unpacked.
    const run = marathon?.run ?? '';
    expect(run.indexOf('sha256sum -c -')).toBeGreaterThan(run.indexOf('sha1sum -c -'));
    expect(run.indexOf('tar -xzf /tmp/marathon.tgz')).toBeGreaterThan(run.indexOf('sha256sum -c -'));
  });

  it('runs Marathon against the master it finds in ZooKeeper, its state in ZooKeeper too', () => {
    const unit = readContextFile('mesos-mini', 'systemd/marathon.service');
    expect(unit).toMatch(/--master zk:\/\/127\.0\.0\.1:2181\/mesos\b/);
    expect(unit).toMatch(/--zk zk:\/\/127\.0\.0\.1:2181\/marathon\b/);
    expect(unit).toMatch(/--http_port 8080\b/);
    expect(unit).not.toMatch(/--internal_store_backend mem\b/);
    expect(unit).toMatch(/^Environment=MESOS_NATIVE_JAVA_LIBRARY=\/usr\/lib64\/libmesos\.so$/m);
    expect(unit).toMatch(/^After=.*\bzookeeper\.service\b.*\bmesos-master\.service\b/m);
    expect(unit).toMatch(/^Wants=.*\bzookeeper\.service\b/m);
  });

  it('installs ZooKeeper 3.9.3, Apache’s binary release, checked by its published SHA-512', () => {
    expect(defaults.get('ZOOKEEPER_URL')).toBe(
      'https://archive.apache.org/dist/zookeeper/zookeeper-3.9.3/apache-zookeeper-3.9.3-bin.tar.gz',
    );
    expect(defaults.get('ZOOKEEPER_SHA512')).toBe(
      'd44d870c1691662efbf1a8baf1859c901b820dc5ff163b36e81beb27b6fbf3cd' +
        '31b5f1f075697edaaf6d3e7a4cb0cc92f924dcff64b294ef13d535589bdaf143',
    );
    const [zookeeper] = downloadsOf(readContextFile('mesos-mini', 'Dockerfile')).filter(
      (download) => download.urlArg === 'ZOOKEEPER_URL',
    );
    expect(zookeeper?.checks.map(({ arg, algorithm, optional }) => [arg, algorithm, optional])).toEqual([
      ['ZOOKEEPER_SHA512', 'sha512', false],
    ]);
    expect(steps('COPY')).toEqual(
      expect.arrayContaining([
        'zookeeper/zoo.cfg /opt/zookeeper/conf/zoo.cfg',
        'systemd/zookeeper.service /usr/lib/systemd/system/zookeeper.service',
      ]),
    );
  });

  it('installs Docker only after checking the repository key against Docker’s fingerprint', () => {
    expect(defaults.get('DOCKER_KEY_FINGERPRINT')).toBe('060A61C51B558A7F742B77AAC52FEB6B621E9F35');
    const docker = runs(facts).find((step) => step.text.includes('$DOCKER_KEY_URL'))?.text ?? '';
    expect(docker.indexOf('want="$DOCKER_KEY_FINGERPRINT"')).toBeLessThan(docker.indexOf('yum install'));
    expect(docker).toContain('"docker-ce-$DOCKER_VERSION"');
    expect(readContextFile('mesos-mini', 'docker/docker-ce.repo')).toMatch(
      /^gpgcheck=1$[\s\S]*^gpgkey=file:\/\/\/etc\/pki\/rpm-gpg\/docker-ce\.gpg$/m,
    );
  });
});

describe('the services of mesos-mini', () => {
  it('has a master elected through ZooKeeper, its registry in the replicated log with a quorum of one', () => {
    const master = envFile('mesos/mesos-master');
    expect(master.get('MESOS_PORT')).toBe('5050');
    expect(master.get('MESOS_ZK')).toBe('zk://127.0.0.1:2181/mesos');
    expect(master.get('MESOS_QUORUM')).toBe('1');
    expect(master.get('MESOS_REGISTRY')).toBe('replicated_log');
    expect(master.get('MESOS_WORK_DIR')).toBe('/var/lib/mesos/master');
    const dropIn = readContextFile('mesos-mini', 'systemd/mesos-master.service.d/mesos-mini.conf');
    expect(dropIn).toMatch(/^After=zookeeper\.service$/m);
    expect(dropIn).toMatch(/^Wants=zookeeper\.service$/m);
  });

  it('has ZooKeeper standalone on loopback, with its admin server off (it would take Marathon’s 8080)', () => {
    const config = new Map(
      readContextFile('mesos-mini', 'zookeeper/zoo.cfg')
        .split('\n')
        .filter((line) => /^[\w.]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(config.get('clientPort')).toBe('2181');
    expect(config.get('clientPortAddress')).toBe('127.0.0.1');
    expect(config.get('dataDir')).toBe('/var/lib/zookeeper');
    expect(config.get('admin.enableServer')).toBe('false');
    expect([...config.keys()].filter((key) => key.startsWith('server.'))).toEqual([]);
    const unit = readContextFile('mesos-mini', 'systemd/zookeeper.service');
    expect(unit).toMatch(/^ExecStart=\/opt\/zookeeper\/bin\/zkServer\.sh start-foreground$/m);
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
  });

  it('has one agent with both containerizers, the seed’s isolators and the CNI directories', () => {
    const agent = envFile('mesos/mesos-agent');
    expect(agent.get('MESOS_PORT')).toBe('5051');
    expect(agent.get('MESOS_MASTER')).toBe('zk://127.0.0.1:2181/mesos');
    expect(agent.get('MESOS_CONTAINERIZERS')?.split(',').sort()).toEqual(['docker', 'mesos']);
    expect(agent.get('MESOS_ISOLATION')?.split(',')).toEqual(
      expect.arrayContaining([
        'filesystem/linux',
        'network/cni',
        'cgroups/cpu',
        'cgroups/mem',
        'cgroups/blkio',
        'cgroups/devices',
        'disk/du',
        'docker/runtime',
        'namespaces/pid',
        'linux/capabilities',
      ]),
    );
    expect(agent.get('MESOS_NETWORK_CNI_CONFIG_DIR')).toBe('/etc/mesos/cni');
    expect(agent.get('MESOS_NETWORK_CNI_PLUGINS_DIR')?.split(':')).toContain('/usr/libexec/mesos/cni');
    expect(agent.has('MESOS_CGROUPS_ROOT'), 'the entrypoint decides it at start').toBe(false);
  });

  it('gives UCR a default bridge network that the plugins in the image implement', () => {
    const network = JSON.parse(readContextFile('mesos-mini', 'mesos/ucr-default-bridge.json')) as {
      name: string;
      type: string;
      delegate: { type: string; ipam: { type: string } };
    };
    expect([network.name, network.type, network.delegate.type, network.delegate.ipam.type]).toEqual([
      'mesos-bridge',
      'mesos-cni-port-mapper',
      'bridge',
      'host-local',
    ]);
    expect(
      facts.all.find((step) => step.keyword === 'COPY' && step.text.startsWith('mesos/ucr-default-bridge.json'))
        ?.args[1],
    ).toBe('/etc/mesos/cni/ucr-default-bridge.json');
  });

  it('hands the cgroups the entrypoint prepared to the agent and the inner Docker daemon', () => {
    const written = /MINI_CGROUPS_ENV:-([^}]+)\}/.exec(readContextFile('mesos-mini', 'entrypoint.sh'))?.[1];
    expect(written).toBe('/etc/mesos-mini/cgroups.env');
    expect(readContextFile('mesos-mini', 'systemd/mesos-agent.service.d/mesos-mini.conf')).toMatch(
      /^After=docker\.service zookeeper\.service$/m,
    );
    for (const dropIn of [
      'systemd/mesos-agent.service.d/mesos-mini.conf',
      'systemd/docker.service.d/mesos-mini.conf',
    ]) {
      expect(readContextFile('mesos-mini', dropIn)).toMatch(new RegExp(`^EnvironmentFile=${written}$`, 'm'));
    }
    const docker = readContextFile('mesos-mini', 'systemd/docker.service.d/mesos-mini.conf');
    expect(docker).toMatch(
      /^ExecStart=$\n^ExecStart=\/usr\/bin\/dockerd .*--cgroup-parent=\$\{DOCKER_CGROUP_PARENT\}$/m,
    );
  });
});

describe('the entrypoint on a cgroup v2 host', () => {
  const entrypoint = readContextFile('mesos-mini', 'entrypoint.sh');

  it('mounts systemd 219 its named hierarchy only where none is mounted (the itg test cannot mount one)', () => {
    expect(entrypoint).toContain(
      'if ! mounted_at "$cgroup_root/systemd"; then\n    mkdir -p "$cgroup_root/systemd"\n    mount -t ' +
        'cgroup -o none,name=systemd cgroup "$cgroup_root/systemd"\n  fi',
    );
  });

  it('takes the v2 path only for a Mesos whose build recorded cgroup version 2', () => {
    expect(entrypoint).toMatch(/versions_file=\$\{MINI_CGROUP_VERSIONS:-\/usr\/share\/mesos\/cgroup-versions\}/);
    const centos = readContextFile('mesos-centos', 'Dockerfile');
    expect(centos).toContain('>/staging/usr/share/mesos/cgroup-versions');
  });

  it('hands the agent the flags the entrypoint chose for the host’s cgroup version', () => {
    expect(readContextFile('mesos-mini', 'systemd/mesos-agent.service.d/mesos-mini.conf')).toMatch(
      /^ExecStart=$\n^ExecStart=\/usr\/bin\/mesos-init-wrapper agent \$MINI_AGENT_FLAGS$/m,
    );
  });
});

describe('the Docker key check before yum may use the key', () => {
  // The awk of the RUN itself, run on `gpg --with-colons --fingerprint` listings of the keyring
  // the fetched key file was imported into.
  const docker = runs(facts).find((step) => step.text.includes('$DOCKER_KEY_URL'))?.text ?? '';
  const check = /awk -F: [^\n]*?"\$GNUPGHOME\/listing"/.exec(docker)?.[0] ?? '';
  const DOCKER = '060A61C51B558A7F742B77AAC52FEB6B621E9F35';
  const OTHER = '9DC858229FC7DD38854AE2D88D81803C0EBFCD88';
  const key = (fingerprint: string): string[] => [
    `pub:-:4096:1:${fingerprint.slice(-16)}:1487788586:::-:::scESA::::::23::0:`,
    `fpr:::::::::${fingerprint}:`,
    'uid:-::::1487792064::0::Docker Release (CE rpm) <docker@docker.com>::::::::::0:',
    'sub:-:4096:1:7EA0A9C3F273FCD8:1487788586::::::s::::::23:',
  ];
  const accepted = (listing: string[]): boolean => {
    const home = writeTree({ listing: ['tru::1:1700000000:0:3:1:5', ...listing].join('\n') + '\n' });
    try {
      execFileSync('sh', ['-c', check], {
        env: { PATH: process.env.PATH, GNUPGHOME: home, DOCKER_KEY_FINGERPRINT: DOCKER },
        stdio: 'ignore',
      });
      return true;
    } catch {
      return false;
    }
  };

  it.each([
    ['exactly Docker’s key', key(DOCKER), true],
    ['another key', key(OTHER), false],
    ['Docker’s key and another one', [...key(DOCKER), ...key(OTHER)], false],
    ['another key, then Docker’s', [...key(OTHER), ...key(DOCKER)], false],
    ['no key at all', [], false],
  ])('%s: %s', (_, listing, ok) => {
    expect(check).not.toBe('');
    expect(accepted(listing)).toBe(ok);
  });
});
