import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFamily } from '../../pipeline/family/family.js';
import { imageNeeds } from '../../pipeline/family/host-needs.js';
import { parseSmokeSpec, smokeSpecProblems } from '../../pipeline/smoke/spec.js';
import type { Step } from '../../pipeline/smoke/spec-schema.js';
import { expand, SAMPLE_VALUES } from '../../pipeline/smoke/template.js';
import { familyDir, readContextFile } from './dockerfile-facts.js';
import { UPSTREAM } from './upstream-facts.js';

const specOf = (image: string): ReturnType<typeof parseSmokeSpec> =>
  parseSmokeSpec(readContextFile(image, 'smoke.json'));

/** The seed's app.json (the Mesos blog's quick start), as users post it. */
const SEED_APP = {
  id: 'test',
  cmd: 'sleep 1000',
  cpus: 1,
  mem: 128,
  disk: 0,
  instances: 1,
  container: { docker: { image: 'alpine' }, type: 'DOCKER' },
  networks: [{ mode: 'host' }],
};

function kindOf(step: Step): string {
  return (['waitHttp', 'http', 'pollJson', 'exec', 'stop'] as const).find((kind) => step[kind] !== undefined) ?? 'none';
}

describe('the production image family', () => {
  it('is exactly mesos-centos and mesos-mini built FROM it, mesos-mini declaring what its host must offer', () => {
    const family = JSON.parse(readFileSync(path.join(familyDir, 'images.json'), 'utf8')) as {
      $schema: string;
      images: { name: string; context: string; base?: string; host?: unknown }[];
    };
    expect(family.$schema).toBe('../pipeline/schemas/images.schema.json');
    expect(family.images.map(({ name, context, base }) => ({ name, context, base }))).toEqual([
      { name: 'mesos-centos', context: 'mesos-centos', base: undefined },
      { name: 'mesos-mini', context: 'mesos-mini', base: 'mesos-centos' },
    ]);
    // mesos-centos runs no service test: any host will do.
    expect(family.images[0]?.host).toBeUndefined();
    expect(specOf('mesos-centos').serviceTests).toBeUndefined();
  });

  it.each(UPSTREAM.map((facts) => [facts.branch, facts] as const))(
    '%s: the host needs follow the branch’s Mesos and the service test’s run options',
    async (_, facts) => {
      const family = await loadFamily(familyDir, smokeSpecProblems);
      const mini = family.images.find((image) => image.name === 'mesos-mini');
      const needs = imageNeeds(mini?.host, facts.branch);
      // cgroup v2 exactly where the agent has the cgroups v2 isolator (src/linux/cgroups2.cpp).
      expect(needs.cgroupVersions).toEqual(facts.cgroups2 ? [1, 2] : [1]);
      // Privileged exactly when the service test runs the container privileged.
      const privileged = specOf('mesos-mini').serviceTests?.some((test) => test.run?.privileged) ?? false;
      expect(needs.privileged).toBe(privileged);
      // What Docker in Docker and the UCR bridge need of the kernel (moby's check-config.sh).
      expect(needs.kernelModules).toEqual(
        expect.arrayContaining(['bridge', 'br_netfilter', 'veth', 'overlay', 'iptable_nat', 'xt_MASQUERADE']),
      );
    },
  );

  it('loads as the pipeline loads it: Dockerfiles and smoke specs valid, base first', async () => {
    const family = await loadFamily(familyDir, smokeSpecProblems);
    expect(family.images.map((image) => [image.name, image.base])).toEqual([
      ['mesos-centos', undefined],
      ['mesos-mini', 'mesos-centos'],
    ]);
    for (const image of ['mesos-centos', 'mesos-mini'])
      expect(smokeSpecProblems(image, readContextFile(image, 'smoke.json'))).toEqual([]);
  });
});

describe('dockerfiles/mesos-centos/smoke.json', () => {
  const spec = specOf('mesos-centos');

  it('requires the plan’s version from mesos-master and mesos-agent, not just any version', () => {
    const expanded = expand(spec, SAMPLE_VALUES);
    for (const binary of ['mesos-master', 'mesos-agent']) {
      const test = expanded.commandTests?.find((t) => t.command.join(' ') === `${binary} --version`);
      const pattern = new RegExp(test?.expectedOutput?.[0] ?? '$^', 'm');
      // SAMPLE_VALUES plan the 1.11.x branch.
      expect(pattern.test('mesos 1.11.1')).toBe(true);
      expect(pattern.test('mesos 1.1.1')).toBe(false);
      expect(pattern.test('mesos 1.12.0')).toBe(false);
    }
  });

  it('checks the binaries, the wrapper, the units and the labels of the plan', () => {
    const paths = spec.fileExistenceTests?.filter((t) => t.shouldExist !== false).map((t) => t.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/usr/sbin/mesos-master',
        '/usr/sbin/mesos-agent',
        '/usr/bin/mesos-init-wrapper',
        '/usr/lib/systemd/system/mesos-master.service',
        '/usr/lib/systemd/system/mesos-agent.service',
      ]),
    );
    expect(spec.fileExistenceTests?.find((t) => t.path === '/usr/bin/mesos-init-wrapper')?.permissions).toBe(
      '-rwxr-xr-x',
    );
    expect(spec.metadataTest?.labels).toEqual(
      expect.arrayContaining([{ key: 'org.opencontainers.image.revision', value: '${GIT_SHA}' }]),
    );
  });
});

describe('dockerfiles/mesos-mini/smoke.json', () => {
  const spec = specOf('mesos-mini');
  const [service] = spec.serviceTests ?? [];
  const steps = service?.steps ?? [];
  const named = (fragment: string): Step | undefined => steps.find((step) => step.name?.includes(fragment));
  const indexOf = (fragment: string): number => steps.findIndex((step) => step.name?.includes(fragment));
  const RUNNING = "$..tasks[?(@.state==='TASK_RUNNING')]";
  const MARATHON = "$.frameworks[?(@.name==='marathon' && @.active===true)].id";

  it(
    'runs the container the way users do: privileged, with the three ports (and the host cgroup namespace ' +
      'v2 needs)',
    () => {
      expect(spec.serviceTests).toHaveLength(1);
      expect(service?.run).toEqual({ privileged: true, cgroupns: 'host', ports: [5050, 5051, 8080] });
    },
  );

  it('walks the quick start in order, restarts master, agent and Marathon, and ends with a stop', () => {
    const kinds = steps.map(kindOf).join(' ');
    expect(kinds).toBe(
      [
        'waitHttp pollJson pollJson exec pollJson', // master, version, agent, ZooKeeper, master on ZooKeeper
        'waitHttp waitHttp pollJson pollJson', // agent, Marathon, Marathon's version, its framework ID
        'http pollJson exec', // the seed's Docker app, running, docker ps
        'http pollJson pollJson', // the UCR app, running, its address
        'http pollJson', // a third app
        'exec waitHttp pollJson', // restart the master
        'exec waitHttp pollJson', // restart the agent
        'exec waitHttp pollJson pollJson', // restart Marathon
        'http pollJson', // delete the third app
        'stop',
      ].join(' '),
    );
    expect(
      steps.filter((step) => step.exec?.command[0] === 'systemctl').map((step) => step.exec?.command.join(' ')),
    ).toEqual(['systemctl restart mesos-master', 'systemctl restart mesos-agent', 'systemctl restart marathon']);
  });

  it('posts the seed’s app.json unchanged and a second app for the Mesos containerizer on mesos-bridge', () => {
    expect(named('app.json')?.http).toMatchObject({
      port: 8080,
      method: 'POST',
      path: '/v2/apps',
      json: SEED_APP,
      status: [201],
    });
    const ucr = named('Mesos containerizer')?.http?.json as
      { container: { type: string; docker: { image: string } }; networks: unknown[] } | undefined;
    expect(ucr?.container).toEqual({ type: 'MESOS', docker: { image: 'alpine' } });
    expect(ucr?.networks).toEqual([{ mode: 'container', name: 'mesos-bridge' }]);
  });

  it('asserts the versions: Mesos from the plan, Marathon 1.6.322 as the Dockerfile pins it', () => {
    expect(named("plan's version")?.pollJson?.until).toEqual([{ path: '$.version', matches: '^${VERSION_PATTERN}$' }]);
    const marathonVersion = /\/marathon-(\d+\.\d+\.\d+)-/.exec(readContextFile('mesos-mini', 'Dockerfile'))?.[1];
    expect(named('Marathon is')?.pollJson?.until).toContainEqual({ path: '$.version', equals: marathonVersion });
  });

  it('checks the ZooKeeper wiring the images promise', () => {
    expect(named('ZooKeeper runs standalone')?.exec?.expectedOutput).toEqual(['^Mode: standalone$']);
    expect(named('elected through ZooKeeper')?.pollJson?.until).toEqual([
      { path: '$.flags.zk', equals: 'zk://127.0.0.1:2181/mesos' },
      { path: '$.flags.quorum', equals: '1' },
      { path: '$.flags.registry', equals: 'replicated_log' },
    ]);
    expect(named('keeps its state in ZooKeeper')?.pollJson?.until).toContainEqual({
      path: '$.zookeeper_config.zk',
      equals: 'zk://127.0.0.1:2181/marathon',
    });
  });

  it('remembers Marathon’s framework ID before the restarts and requires the same ID after each one', () => {
    const saving = steps.filter((step) => step.pollJson?.save);
    expect(saving.map((step) => step.pollJson?.save)).toEqual([{ marathonFrameworkId: MARATHON }]);
    const sameAs = steps
      .map((step, index) => [index, step.pollJson?.until.find((p) => p.sameAs === 'marathonFrameworkId')] as const)
      .filter(([, predicate]) => predicate !== undefined)
      .map(([index]) => index);
    const restarts = steps
      .map((step, index) => [index, step.exec?.command[0]] as const)
      .filter(([, command]) => command === 'systemctl')
      .map(([index]) => index);
    expect(sameAs).toHaveLength(3);
    expect(indexOf('remember its ID')).toBeLessThan(restarts[0] ?? -1);
    // One check after each restart and before the next.
    restarts.forEach((restart, i) => {
      expect(sameAs[i]).toBeGreaterThan(restart);
      expect(sameAs[i]).toBeLessThan(restarts[i + 1] ?? steps.length);
    });
  });

  it(
    'requires the tasks after every restart, the UCR address on the bridge subnet, and deletes an app ' + 'afterwards',
    () => {
      for (const fragment of ['after the master restart', 'after the agent restart', 'after the Marathon restart'])
        expect(named(fragment)?.pollJson?.until).toContainEqual({ path: RUNNING, count: 3 });
      const address = named('mesos-bridge subnet')?.pollJson?.until[0];
      expect(address?.path).toBe('$.app.tasks[*].ipAddresses[*].ipAddress');
      const subnet = new RegExp(address?.matches ?? '$^');
      for (const ip of ['172.31.254.2', '172.31.254.254']) expect(ip).toMatch(subnet);
      for (const ip of ['172.31.254.0', '172.31.254.255', '172.31.25.4', '10.0.0.2', '172.31.254.2555'])
        expect(ip).not.toMatch(subnet);
      expect(steps.filter((step) => step.http?.method === 'DELETE').map((step) => step.http?.path)).toEqual([
        '/v2/apps/test-delete',
      ]);
      expect(indexOf('delete the third app')).toBeGreaterThan(indexOf('after the Marathon restart'));
    },
  );

  it(
    'stops while two tasks still run and then wants no cgroup left: the container’s, or mesos at a ' + 'hierarchy root',
    () => {
      const beforeStop = steps.at(-2)?.pollJson?.until;
      expect(beforeStop).toContainEqual({ path: RUNNING, count: 2 });
      expect(steps.at(-1)?.stop).toEqual({ timeoutSeconds: 120, expectNoCgroups: true, noCgroupsMatching: ['mesos'] });
    },
  );
});

describe('dockerfiles/mesos-centos/smoke.json for module authors', () => {
  it(
    'requires the headers, mesos.pc and the bundled dependencies --enable-install-module-dependencies ' + 'installs',
    () => {
      const paths = specOf('mesos-centos').fileExistenceTests?.map((test) => [test.path, test.type]);
      expect(paths).toEqual(
        expect.arrayContaining([
          ['/usr/include/mesos/module/module.hpp', 'file'],
          ['/usr/lib64/pkgconfig/mesos.pc', 'file'],
          ['/usr/lib64/mesos/3rdparty/include', 'directory'],
        ]),
      );
    },
  );
});
