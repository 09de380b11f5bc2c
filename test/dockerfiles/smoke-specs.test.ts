import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFamily } from '../../pipeline/family/family.js';
import { parseSmokeSpec, smokeSpecProblems } from '../../pipeline/smoke/spec.js';
import type { Step } from '../../pipeline/smoke/spec-schema.js';
import { expand, SAMPLE_VALUES } from '../../pipeline/smoke/template.js';
import { familyDir, readContextFile } from './dockerfile-facts.js';

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
  it('is exactly mesos-centos and mesos-mini built FROM it', () => {
    expect(JSON.parse(readFileSync(path.join(familyDir, 'images.json'), 'utf8'))).toEqual({
      $schema: '../pipeline/schemas/images.schema.json',
      images: [
        { name: 'mesos-centos', context: 'mesos-centos' },
        { name: 'mesos-mini', context: 'mesos-mini', base: 'mesos-centos' },
      ],
    });
  });

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

  it('runs the container the way users do: privileged, with the three ports', () => {
    expect(spec.serviceTests).toHaveLength(1);
    expect(service?.run).toEqual({ privileged: true, ports: [5050, 5051, 8080] });
  });

  it('walks the quick start in order and ends with a stop that must leave no cgroup behind', () => {
    expect(steps.map(kindOf)).toEqual([
      'waitHttp',
      'pollJson',
      'pollJson',
      'waitHttp',
      'waitHttp',
      'http',
      'pollJson',
      'exec',
      'http',
      'pollJson',
      'exec',
      'waitHttp',
      'pollJson',
      'waitHttp',
      'http',
      'http',
      'pollJson',
      'stop',
    ]);
    expect(steps.at(-1)?.stop).toEqual({ timeoutSeconds: 120, expectNoCgroups: true });
  });

  it('posts the seed’s app.json unchanged and a second app for the Mesos containerizer', () => {
    expect(named('app.json')?.http).toMatchObject({
      port: 8080,
      method: 'POST',
      path: '/v2/apps',
      json: SEED_APP,
      status: [201],
    });
    const ucr = named('Mesos containerizer')?.http?.json as
      { container: { type: string; docker: { image: string } } } | undefined;
    expect(ucr?.container).toEqual({ type: 'MESOS', docker: { image: 'alpine' } });
  });

  it('asks for one activated agent, Docker in Docker, and both tasks after the master restart', () => {
    expect(named('one activated agent')?.pollJson?.until).toEqual([
      { path: '$.activated_slaves', equals: 1 },
      { path: '$.slaves[*]', count: 1 },
    ]);
    expect(named('docker ps')?.exec?.command).toEqual(['docker', 'ps', '--format', '{{.Image}} {{.Names}}']);
    expect(named('systemctl restart')?.exec?.command).toEqual(['systemctl', 'restart', 'mesos-master']);
    expect(named('still known')?.pollJson?.until).toContainEqual({
      path: "$..tasks[?(@.state==='TASK_RUNNING')]",
      count: 2,
    });
    expect(steps.filter((step) => step.http?.method === 'DELETE').map((step) => step.http?.path)).toEqual([
      '/v2/apps/test',
      '/v2/apps/test-ucr',
    ]);
  });
});
