import { describe, expect, it } from 'vitest';
import { loadFamily } from '../../../pipeline/family/family.js';
import type { HostDeclaration } from '../../../pipeline/family/family-schema.js';
import { makePlan, versionPatternOf } from '../../../pipeline/plan/plan.js';
import { renderPlan } from '../../../pipeline/plan/render.js';
import { fixtureFamily } from '../../helpers/paths.js';
import { SAMPLE_SHA_1, SAMPLE_SHA_2, samplePlan } from '../../helpers/sample-plan.js';

const sha1 = SAMPLE_SHA_1;
const sha2 = SAMPLE_SHA_2;

describe('makePlan', async () => {
  const family = await loadFamily(fixtureFamily);
  const plan = samplePlan(family);

  it('is the whole document: branches with exact shas, images in build order, tags in push order', () => {
    expect(JSON.parse(JSON.stringify(plan))).toEqual({
      version: 2,
      date: '2026-11-27',
      registry: '127.0.0.1:5000/mesos',
      repo: 'https://github.com/apache/mesos.git',
      createdAt: '2026-11-27T23:59:00.000Z',
      imagesDir: 'test/fixtures/family',
      branches: [
        {
          branch: '1.11.x',
          sha: sha1,
          releaseTag: '1.11.0',
          version: '1.11.0',
          versionPattern: '1\\.11\\.0',
          host: { cgroupVersions: [1, 2], privileged: false },
          images: [
            {
              name: 'fixture-base',
              context: 'fixture-base',
              tags: {
                dated: '127.0.0.1:5000/mesos/fixture-base:1.11.x-2026-11-27',
                floating: '127.0.0.1:5000/mesos/fixture-base:1.11.x',
                version: '127.0.0.1:5000/mesos/fixture-base:1.11.0',
              },
              buildArgs: {
                GIT_REPO: 'https://github.com/apache/mesos.git',
                GIT_SHA: sha1,
                GIT_BRANCH: '1.11.x',
                VERSION: '1.11.0',
              },
              labels: {
                'org.opencontainers.image.title': 'fixture-base',
                'org.opencontainers.image.source': 'https://github.com/apache/mesos.git',
                'org.opencontainers.image.revision': sha1,
                'org.opencontainers.image.version': '1.11.0',
                'org.opencontainers.image.ref.name': '1.11.x',
                'org.opencontainers.image.created': '2026-11-27T23:59:00.000Z',
              },
            },
            expect.objectContaining({
              name: 'fixture-app',
              base: 'fixture-base',
              tags: {
                dated: '127.0.0.1:5000/mesos/fixture-app:1.11.x-2026-11-27',
                floating: '127.0.0.1:5000/mesos/fixture-app:1.11.x',
                version: '127.0.0.1:5000/mesos/fixture-app:1.11.0',
              },
            }),
          ],
        },
        expect.objectContaining({
          branch: 'master',
          sha: sha2,
          version: 'master',
          images: [
            expect.objectContaining({
              name: 'fixture-base',
              // `latest` moves with master: `docker run mesos/mesos-mini` pulls it.
              tags: {
                dated: '127.0.0.1:5000/mesos/fixture-base:master-2026-11-27',
                floating: '127.0.0.1:5000/mesos/fixture-base:master',
                also: ['127.0.0.1:5000/mesos/fixture-base:latest'],
              },
            }),
            expect.objectContaining({
              name: 'fixture-app',
              // `latest` moves with master: `docker run mesos/mesos-mini` pulls it.
              tags: {
                dated: '127.0.0.1:5000/mesos/fixture-app:master-2026-11-27',
                floating: '127.0.0.1:5000/mesos/fixture-app:master',
                also: ['127.0.0.1:5000/mesos/fixture-app:latest'],
              },
            }),
          ],
        }),
      ],
    });
    expect(plan.branches[1]).not.toHaveProperty('releaseTag');
  });

  it('renders a table with one row per image', () => {
    const text = renderPlan(plan);
    expect(text).toContain('date 2026-11-27  registry 127.0.0.1:5000/mesos');
    expect(text).toMatch(
      /1\.11\.x\s+111111111111\s+1\.11\.0\s+cgroup v1 or v2\s+fixture-base\s+linux\/amd64\s+1\.11\.x-2026-11-27, 1\.11\.x, 1\.11\.0/,
    );
    expect(text).toMatch(/\n\s+fixture-app \(on fixture-base\)\s+linux\/amd64\s+master-2026-11-27, master, latest\n$/);
  });
});

describe('versionPatternOf', () => {
  it.each([
    ['1.11.x', undefined, '1\\.11\\.\\d+', ['1.11.0', '1.11.12'], ['1.1.0', '1.110.0']],
    ['1.11.x', '1.11.0', '1\\.11\\.0', ['1.11.0'], ['1.11.1', '1x11x0']],
    ['master', undefined, '\\d+\\.\\d+\\.\\d+', ['1.12.0'], ['master']],
  ])('%s with tag %s', (branch, tag, pattern, matching, other) => {
    expect(versionPatternOf(branch, tag)).toBe(pattern);
    const regex = new RegExp(`^${pattern}$`);
    for (const version of matching) expect(version).toMatch(regex);
    for (const version of other) expect(version).not.toMatch(regex);
  });
});

describe('makePlan: what each branch needs of a host', async () => {
  const family = await loadFamily(fixtureFamily);
  const planWith = (hosts: Record<string, HostDeclaration>) =>
    makePlan({
      date: '2026-11-27',
      imagesDir: 'test/fixtures/family',
      createdAt: '2026-11-27T23:59:00.000Z',
      repo: 'https://github.com/apache/mesos.git',
      registry: { host: '127.0.0.1:5000', namespace: 'mesos' },
      family: { ...family, images: family.images.map((image) => ({ ...image, host: hosts[image.name] })) },
      branches: [
        { branch: '1.11.x', sha: sha1 },
        { branch: 'master', sha: sha2 },
      ],
    });

  it.each([
    ['nothing declared: anything', {}, [[1, 2], false], [[1, 2], false]],
    [
      'one image on cgroup v1, privileged; master also on v2',
      { 'fixture-app': { cgroupVersions: [1], privileged: true, branches: { master: { cgroupVersions: [1, 2] } } } },
      [[1], true],
      [[1, 2], true],
    ],
    [
      'versions both images offer, privileged if one needs it',
      {
        'fixture-base': { cgroupVersions: [2, 1] },
        'fixture-app': { privileged: false, branches: { master: { cgroupVersions: [2], privileged: true } } },
      },
      [[1, 2], false],
      [[2], true],
    ],
  ] as const)('%s', (_, hosts, release, master) => {
    const plan = planWith(hosts as Record<string, HostDeclaration>);
    expect(plan.branches.map((branch) => branch.host)).toEqual([
      { cgroupVersions: release[0], privileged: release[1] },
      { cgroupVersions: master[0], privileged: master[1] },
    ]);
    // The contract the nightly reads: exactly these two fields, plain JSON.
    const document = JSON.parse(JSON.stringify(plan)) as { branches: { host: object }[] };
    expect(Object.keys(document.branches[0]?.host ?? {}).sort()).toEqual(['cgroupVersions', 'privileged']);
  });

  it('shows the needs in the plan table', () => {
    const text = renderPlan(planWith({ 'fixture-app': { cgroupVersions: [1], privileged: true } }));
    expect(text).toMatch(/^BRANCH\s+SHA\s+VERSION\s+HOST \(service tests\)\s+IMAGE\s+PLATFORMS\s+TAGS$/m);
    expect(text).toMatch(/^1\.11\.x\s+111111111111\s+1\.11\.x\s+cgroup v1, privileged\s+fixture-base\s/m);
  });
});

describe('makePlan: platforms', async () => {
  const family = await loadFamily(fixtureFamily);
  const make = (platforms: string[] | undefined) =>
    makePlan({
      date: '2026-11-27',
      createdAt: '2026-11-27T23:59:00.000Z',
      repo: 'https://github.com/apache/mesos.git',
      registry: { host: '127.0.0.1:5000', namespace: 'mesos' },
      family: { ...family, images: family.images.map((image) => ({ ...image, platforms })) },
      imagesDir: 'test/fixtures/family',
      branches: [{ branch: 'master', sha: sha2 }],
    });

  it('carries the declared platforms per image, and leaves the field out when none are declared', () => {
    const declared = make(['linux/amd64', 'linux/arm64']);
    expect(declared.branches[0]?.images.map((image) => image.platforms)).toEqual([
      ['linux/amd64', 'linux/arm64'],
      ['linux/amd64', 'linux/arm64'],
    ]);
    expect(declared.version).toBe(2);
    const plain = JSON.parse(JSON.stringify(make(undefined))) as { branches: { images: object[] }[] };
    expect(plain.branches[0]?.images.every((image) => !('platforms' in image))).toBe(true);
  });

  it('shows them in the plan table, linux/amd64 when none are declared', () => {
    expect(renderPlan(make(['linux/amd64', 'linux/arm64']))).toMatch(
      /^master\s+222222222222\s+master\s+\S.*fixture-base\s+linux\/amd64,linux\/arm64\s+master-2026-11-27/m,
    );
    expect(renderPlan(make(undefined))).toMatch(/fixture-base\s+linux\/amd64\s+master-2026-11-27/);
  });
});

describe('renderPlan with no branches', () => {
  it('says there are no eligible branches under the head line', () => {
    expect(
      renderPlan({
        version: 2,
        date: '2026-11-27',
        registry: '127.0.0.1:5000/mesos',
        repo: 'https://github.com/apache/mesos.git',
        createdAt: '2026-11-27T10:00:00.000Z',
        imagesDir: 'test/fixtures/family',
        branches: [],
      }),
    ).toBe(
      'date 2026-11-27  registry 127.0.0.1:5000/mesos  repo https://github.com/apache/mesos.git\n(no eligible branches)\n',
    );
  });
});
