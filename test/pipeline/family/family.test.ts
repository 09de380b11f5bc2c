import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../pipeline/errors.js';
import { loadFamily } from '../../../pipeline/family/family.js';
import { orderImages } from '../../../pipeline/family/build-order.js';
import { writeTree } from '../../helpers/temp-files.js';

const BASE_DOCKERFILE = 'FROM mesos-pipeline/busybox:static\n';
const CHILD_DOCKERFILE = 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n';
const SMOKE = '{"commandTests":[{"name":"true","command":["true"]}]}';

function family(images: unknown, extra: Record<string, string> = {}): string {
  return writeTree({
    'images.json': JSON.stringify(images),
    'base/Dockerfile': BASE_DOCKERFILE,
    'base/smoke.json': SMOKE,
    'child/Dockerfile': CHILD_DOCKERFILE,
    'child/smoke.json': SMOKE,
    ...extra,
  });
}

async function problemsOf(dir: string): Promise<readonly string[]> {
  try {
    await loadFamily(dir);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadFamily', () => {
  it('orders images so that each comes after its base, whatever the declared order', async () => {
    const dir = family({
      images: [
        { name: 'child', context: 'child', base: 'base' },
        { name: 'base', context: 'base' },
      ],
    });
    const loaded = await loadFamily(dir);
    expect(loaded.images.map((i) => [i.name, i.base])).toEqual([
      ['base', undefined],
      ['child', 'base'],
    ]);
    expect(loaded.images[1]?.context).toBe(`${loaded.dir}/child`);
    expect(loaded.images[1]?.dockerfile).toBe(`${loaded.dir}/child/Dockerfile`);
  });

  it('keeps the platforms and host needs images.json declares, and adds neither where none is declared', async () => {
    const host = { cgroupVersions: [1], privileged: true };
    const dir = family({
      images: [
        { name: 'base', context: 'base', platforms: ['linux/amd64', 'linux/arm64'], host },
        { name: 'child', context: 'child', base: 'base' },
      ],
    });
    const [base, child] = (await loadFamily(dir)).images;
    expect(base).toMatchObject({ platforms: ['linux/amd64', 'linux/arm64'], host });
    expect(child && ('platforms' in child || 'host' in child)).toBe(false);
  });

  it.each([
    ['not JSON', '{images:', [/^not valid JSON/]],
    ['no images', { images: [] }, [/^images: must list at least one image/]],
    ['no images field', {}, [/^images: is missing; it must be an array$/]],
    [
      'an unknown field',
      { images: [{ name: 'base', context: 'base', from: 'x' }] },
      [/^images\[0\]: Unrecognized key: "from"; the keys here are name, context, base, host, platforms$/],
    ],
    ['a missing context', { images: [{ name: 'base' }] }, [/^images\[0\].context: is missing; it must be a string$/]],
    [
      'an empty context',
      { images: [{ name: 'base', context: '' }] },
      [/^images\[0\].context: must name a folder beside images.json$/],
    ],
    // Only an unknown key is told the keys that would do; any other problem of an object is said as zod says it.
    [
      'an image that is no object',
      { images: ['base'] },
      [/^images\[0\]: Invalid input: expected object, received string$/],
    ],
    [
      'a name that is no repository name',
      { images: [{ name: 'Base', context: 'base' }] },
      [/^images\[0\].name: must be a Docker repository name/],
    ],
    [
      'a wrong type',
      { images: [{ name: 'base', context: 3 }] },
      [/^images\[0\].context: Invalid input: expected string/],
    ],
    [
      'an unknown base',
      {
        images: [
          { name: 'base', context: 'base' },
          { name: 'child', context: 'child', base: 'centos' },
        ],
      },
      [/^images\[1\].base: unknown image "centos"; the images are base, child/],
    ],
    [
      'a cgroup version that does not exist',
      { images: [{ name: 'base', context: 'base', host: { cgroupVersions: [3] } }] },
      [/^images\[0\].host.cgroupVersions\[0\]: must be 1 or 2 \(cgroup v1, cgroup v2\)/],
    ],
    [
      'no cgroup version at all',
      { images: [{ name: 'base', context: 'base', host: { cgroupVersions: [] } }] },
      [/^images\[0\].host.cgroupVersions: must name at least one cgroup version; leave the field out for "any"/],
    ],
    [
      'a cgroup version named twice',
      { images: [{ name: 'base', context: 'base', host: { cgroupVersions: [1, 1] } }] },
      [/^images\[0\].host.cgroupVersions: must not name a version twice/],
    ],
    [
      'a host need that does not exist',
      { images: [{ name: 'base', context: 'base', host: { gpu: true } }] },
      [
        /^images\[0\].host: Unrecognized key: "gpu"; the keys here are cgroupVersions, privileged, kernelModules, branches$/,
      ],
    ],
    [
      'a kernel module name with a path',
      { images: [{ name: 'base', context: 'base', host: { kernelModules: ['net/bridge'] } }] },
      [/^images\[0\].host.kernelModules\[0\]: must be a kernel module name such as br_netfilter/],
    ],
    [
      'host needs for a branch the pipeline never plans',
      { images: [{ name: 'base', context: 'base', host: { branches: { 'feature/x': { privileged: true } } } }] },
      [/^images\[0\].host.branches.feature\/x: must be master or a release branch such as 1.11.x/],
    ],
    [
      'images that need no host can offer together',
      {
        images: [
          { name: 'base', context: 'base', host: { cgroupVersions: [1] } },
          { name: 'child', context: 'child', base: 'base', host: { cgroupVersions: [2] } },
        ],
      },
      [
        /^images: no host offers what the service tests of a branch need together \(base needs cgroup v1; child needs cgroup v2\); give the images a cgroup version in common$/,
      ],
    ],
    [
      'images whose branch needs no host can offer together',
      {
        images: [
          { name: 'base', context: 'base', host: { cgroupVersions: [1] } },
          { name: 'child', context: 'child', base: 'base', host: { branches: { master: { cgroupVersions: [2] } } } },
        ],
      },
      [
        /^images: no host offers what the service tests of master need together \(base needs cgroup v1; child needs cgroup v2\); give the images a cgroup version in common$/,
      ],
    ],
    [
      'a duplicate name',
      {
        images: [
          { name: 'base', context: 'base' },
          { name: 'base', context: 'child' },
        ],
      },
      [/^images\[1\].name: duplicate image name "base" \(also images\[0\]\)/],
    ],
    [
      'a cycle',
      {
        images: [
          { name: 'base', context: 'child', base: 'child' },
          { name: 'child', context: 'child', base: 'base' },
        ],
      },
      [
        /^images: the bases form a cycle: base -> child -> base; every chain of bases must end at an image without one$/,
      ],
    ],
    ['a base of itself', { images: [{ name: 'base', context: 'child', base: 'base' }] }, [/cycle: base -> base/]],
    [
      // Every problem at once: a cycle is reported beside another problem, not after it is fixed.
      'a cycle and an unknown base',
      {
        images: [
          { name: 'base', context: 'child', base: 'child' },
          { name: 'child', context: 'child', base: 'base' },
          { name: 'app', context: 'child', base: 'centos' },
        ],
      },
      [/^images\[2\].base: unknown image "centos"/, /^images: the bases form a cycle: base -> child -> base;/],
    ],
    [
      'a context outside the folder',
      { images: [{ name: 'base', context: '../elsewhere' }] },
      [/^images\[0\].context: "..\/elsewhere" leaves the folder of images.json/],
    ],
    [
      'a platform that is not os/arch',
      { images: [{ name: 'base', context: 'base', platforms: ['arm64'] }] },
      [/^images\[0\]\.platforms\[0\]: must be a platform such as linux\/amd64 or linux\/arm64/],
    ],
    [
      'no platform at all',
      { images: [{ name: 'base', context: 'base', platforms: [] }] },
      [/^images\[0\]\.platforms: must name at least one platform; leave the field out for linux\/amd64$/],
    ],
    [
      'a platform named twice',
      { images: [{ name: 'base', context: 'base', platforms: ['linux/arm64', 'linux/arm64'] }] },
      [/^images\[0\]\.platforms: must not name a platform twice/],
    ],
    [
      'a child with a platform its base is not built for',
      {
        images: [
          { name: 'base', context: 'base' },
          { name: 'child', context: 'child', base: 'base', platforms: ['linux/amd64', 'linux/arm64'] },
        ],
      },
      [
        /^images\[1\]\.platforms: linux\/arm64 is not among the platforms of its base base \(linux\/amd64\); a child is built on its base for each platform$/,
      ],
    ],
    [
      'a child with platforms its base is not built for',
      {
        images: [
          { name: 'base', context: 'base', platforms: ['linux/amd64', 'linux/arm64'] },
          { name: 'child', context: 'child', base: 'base', platforms: ['linux/amd64', 'linux/s390x', 'linux/ppc64le'] },
        ],
      },
      [
        /^images\[1\]\.platforms: linux\/s390x, linux\/ppc64le are not among the platforms of its base base \(linux\/amd64, linux\/arm64\); a child is built on its base for each platform$/,
      ],
    ],
    // The platforms of the child's own base count, not those of another image declared before it.
    [
      'a child with a platform only another image is built for',
      {
        images: [
          { name: 'wide', context: 'base', platforms: ['linux/amd64', 'linux/arm64'] },
          { name: 'base', context: 'base' },
          { name: 'child', context: 'child', base: 'base', platforms: ['linux/amd64', 'linux/arm64'] },
        ],
      },
      [/^images\[2\]\.platforms: linux\/arm64 is not among the platforms of its base base \(linux\/amd64\);/],
    ],
    [
      'a missing context folder',
      { images: [{ name: 'base', context: 'nowhere' }] },
      [/^images\[0\].context: folder "nowhere" does not exist/],
    ],
  ])('reports %s as path: message', async (_, content, expected) => {
    const dir = writeTree({
      'images.json': typeof content === 'string' ? content : JSON.stringify(content),
      'base/Dockerfile': BASE_DOCKERFILE,
      'base/smoke.json': SMOKE,
      'child/Dockerfile': CHILD_DOCKERFILE,
      'child/smoke.json': SMOKE,
    });
    const problems = await problemsOf(dir);
    expect(problems).toHaveLength(expected.length);
    expected.forEach((pattern, index) => expect(problems[index]).toMatch(pattern));
  });

  it('reports every problem at once', async () => {
    const dir = writeTree({
      'images.json': JSON.stringify({
        images: [
          { name: 'base', context: 'base' },
          { name: 'child', context: 'child', base: 'base' },
          { name: 'other', context: 'other' },
        ],
      }),
      'base/smoke.json': SMOKE,
      'child/Dockerfile': 'FROM mesos-pipeline/busybox:static\n',
      'child/smoke.json': SMOKE,
      'other/Dockerfile': 'FROM x\n',
    });
    expect(await problemsOf(dir)).toEqual([
      'images[0].context: "base/Dockerfile" is missing; every context holds a Dockerfile',
      'child/Dockerfile: the image has a base, so the Dockerfile must declare `ARG BASE_IMAGE` before its first FROM',
      'child/Dockerfile: the image has a base, so the Dockerfile must build FROM ${BASE_IMAGE} (the base ' +
        'image just built in the same run)',
      'images[2].context: "other/smoke.json" is missing (or smoke.yaml, smoke.yml); every image is ' +
        'smoke-tested before it is pushed',
    ]);
  });

  it('names the folder when images.json is missing', async () => {
    await expect(loadFamily('/nonexistent-family')).rejects.toThrow(
      /--images \/nonexistent-family: images.json not found in \/nonexistent-family/,
    );
  });

  it('checks smoke.json with the validator it is given', async () => {
    const dir = family({ images: [{ name: 'base', context: 'base' }] });
    await expect(loadFamily(dir, (file) => [`${file}: commandTests[0].name: required`])).rejects.toThrow(
      /base\/smoke.json: commandTests\[0\].name: required/,
    );
  });

  it.each(['smoke.yaml', 'smoke.yml'])(
    'takes %s as the smoke spec and validates it under its own name',
    async (name) => {
      const dir = writeTree({
        'images.json': JSON.stringify({ images: [{ name: 'base', context: 'base' }] }),
        'base/Dockerfile': BASE_DOCKERFILE,
        [`base/${name}`]: 'commandTests: []\n',
      });
      const seen: string[] = [];
      const loaded = await loadFamily(dir, (file, text) => {
        seen.push(`${file}: ${text}`);
        return [];
      });
      expect(seen).toEqual([`base/${name}: commandTests: []\n`]);
      expect(loaded.images[0]?.smokeFile).toBe(path.join(loaded.dir, 'base', name));
    },
  );

  it('refuses a context with two smoke specs: which one counts would be a guess', async () => {
    const dir = family({ images: [{ name: 'base', context: 'base' }] }, { 'base/smoke.yml': 'commandTests: []\n' });
    expect(await problemsOf(dir)).toEqual([
      'images[0].context: "base" has smoke.json and smoke.yml; keep one smoke spec',
    ]);
  });
});

describe('orderImages', () => {
  it.each([
    [[{ name: 'a' }], ['a']],
    [
      [{ name: 'c', base: 'b' }, { name: 'b', base: 'a' }, { name: 'a' }],
      ['a', 'b', 'c'],
    ],
    [
      [{ name: 'x' }, { name: 'y', base: 'x' }, { name: 'z' }],
      ['x', 'z', 'y'],
    ],
    [
      [{ name: 'child', base: 'root' }, { name: 'root' }, { name: 'other', base: 'root' }],
      ['root', 'child', 'other'],
    ],
  ])('%o -> %o', (images, expected) => {
    const result = orderImages(images);
    expect('order' in result && result.order.map((i) => i.name)).toEqual(expected);
  });

  it('returns the cycle it found', () => {
    expect(
      orderImages([{ name: 'a', base: 'c' }, { name: 'b', base: 'a' }, { name: 'c', base: 'b' }, { name: 'd' }]),
    ).toEqual({ cycle: ['a', 'c', 'b', 'a'] });
  });

  it('returns only the cycle, not the image that led into it', () => {
    // x is visited first and reaches the cycle a -> b -> a through its base; x is not part of it.
    expect(
      orderImages([
        { name: 'x', base: 'a' },
        { name: 'a', base: 'b' },
        { name: 'b', base: 'a' },
      ]),
    ).toEqual({
      cycle: ['a', 'b', 'a'],
    });
  });
});
