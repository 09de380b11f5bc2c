import { describe, expect, it } from 'vitest';
import { BASE_IMAGE_LABEL, INPUTS_LABEL } from '../../../pipeline/publish/inputs.js';
import { decideReuse, readPublished, type Published } from '../../../pipeline/publish/reuse.js';
import type { Snapshot } from '../../../pipeline/publish/snapshot.js';
import type { PlannedBranch } from '../../../pipeline/plan/plan.js';
import type { Manifest, Registry } from '../../../pipeline/ports.js';
import { MemoryRegistry } from '../../helpers/memory-registry.js';

const sha = 'a'.repeat(40);
const branch = {
  branch: '1.11.x',
  sha,
  version: '1.11.x',
  versionPattern: '',
  images: [
    {
      name: 'base',
      context: '/x',
      tags: { dated: 'r.io/n/base:1.11.x-2026-11-27', floating: 'r.io/n/base:1.11.x' },
      buildArgs: {},
      labels: {},
    },
    {
      name: 'child',
      base: 'base',
      context: '/y',
      tags: { dated: 'r.io/n/child:1.11.x-2026-11-27', floating: 'r.io/n/child:1.11.x' },
      buildArgs: {},
      labels: {},
    },
  ],
} as PlannedBranch;
const inputs = new Map([
  ['base', 'sha256:in-base'],
  ['child', 'sha256:in-child'],
]);

function published(name: string, labels: Record<string, string>, imageId = `sha256:id-${name}`): Published {
  return {
    manifest: {
      digest: `sha256:m-${name}`,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      bytes: Buffer.from('{}'),
    },
    imageId,
    labels,
  };
}
const CREATED = 'org.opencontainers.image.created';
// The run starts two days after the images were made; they are rebuilt after seven.
const age = { now: new Date('2026-11-27T03:00:00.000Z'), rebuildAfterMs: 7 * 86_400_000 };
const good = {
  base: published('base', {
    'org.opencontainers.image.revision': sha,
    [INPUTS_LABEL]: 'sha256:in-base',
    [CREATED]: '2026-11-25T03:00:00.000Z',
  }),
  child: published('child', {
    'org.opencontainers.image.revision': sha,
    [INPUTS_LABEL]: 'sha256:in-child',
    [BASE_IMAGE_LABEL]: 'sha256:id-base',
    [CREATED]: '2026-11-25T03:10:00.000Z',
  }),
};
const createdAt = (image: Published, created: string | undefined): Published => {
  const { [CREATED]: _, ...labels } = image.labels;
  return published(
    image === good.base ? 'base' : 'child',
    created === undefined ? labels : { ...labels, [CREATED]: created },
  );
};

describe('decideReuse', () => {
  it.each([
    ['both unchanged', { base: good.base, child: good.child }, ['reuse', 'reuse'], []],
    ['nothing published', {}, ['build', 'build'], [/no floating tag/, /no floating tag/]],
    [
      'the branch moved',
      {
        base: published('base', { ...good.base.labels, 'org.opencontainers.image.revision': 'b'.repeat(40) }),
        child: good.child,
      },
      ['build', 'build'],
      [/^the published image is of bbbbbbbbbbbb, the branch is at aaaaaaaaaaaa$/, /its base base is rebuilt/],
    ],
    [
      'no revision label',
      { base: published('base', { [INPUTS_LABEL]: 'sha256:in-base' }), child: good.child },
      ['build', 'build'],
      [/^the published image is of an unknown commit, the branch is at aaaaaaaaaaaa$/, /base is rebuilt/],
    ],
    [
      'base inputs changed',
      { base: published('base', { ...good.base.labels, [INPUTS_LABEL]: 'sha256:old' }), child: good.child },
      ['build', 'build'],
      [/build inputs changed/, /base is rebuilt/],
    ],
    [
      'child inputs changed',
      { base: good.base, child: published('child', { ...good.child.labels, [INPUTS_LABEL]: 'sha256:old' }) },
      ['reuse', 'build'],
      [/unchanged/, /build inputs changed/],
    ],
    [
      'child on another base',
      { base: good.base, child: published('child', { ...good.child.labels, [BASE_IMAGE_LABEL]: 'sha256:other' }) },
      ['reuse', 'build'],
      [/unchanged/, /not built on the published base/],
    ],
    [
      'base floating tag is an index',
      { base: 'the floating tag holds an index', child: good.child },
      ['build', 'build'],
      [/holds an index/, /base is rebuilt/],
    ],
    ['child missing', { base: good.base }, ['reuse', 'build'], [/unchanged/, /no floating tag/]],
    [
      'both older than the rebuild age',
      {
        base: createdAt(good.base, '2026-11-19T03:00:00.000Z'),
        child: createdAt(good.child, '2026-11-19T03:10:00.000Z'),
      },
      ['build', 'build'],
      [
        /^the published image is 8d 00h old, older than --rebuild-after 7d 00h: rebuilt for OS and package updates$/,
        /its base base is rebuilt/,
      ],
    ],
    [
      'a base older than the rebuild age by a minute',
      { base: createdAt(good.base, '2026-11-20T02:59:00.000Z'), child: good.child },
      ['build', 'build'],
      [/is 7d 00h old, older than --rebuild-after 7d 00h/, /its base base is rebuilt/],
    ],
    [
      'a base exactly as old as the rebuild age',
      { base: createdAt(good.base, '2026-11-20T03:00:00.000Z'), child: good.child },
      ['reuse', 'reuse'],
      [/unchanged since 2026-11-20T03:00:00.000Z/, /unchanged/],
    ],
    [
      'only the child older than the rebuild age',
      { base: good.base, child: createdAt(good.child, '2026-11-01T00:00:00.000Z') },
      ['reuse', 'build'],
      [/unchanged/, /is 26d 03h old, older than --rebuild-after/],
    ],
    [
      'no creation time',
      { base: createdAt(good.base, undefined), child: good.child },
      ['build', 'build'],
      [
        /^the published image has no valid org.opencontainers.image.created label: its age is unknown$/,
        /base is rebuilt/,
      ],
    ],
    [
      'a creation time that is no time',
      { base: createdAt(good.base, 'last week'), child: good.child },
      ['build', 'build'],
      [/its age is unknown/, /base is rebuilt/],
    ],
    [
      'a creation time after the run started (clock skew)',
      { base: createdAt(good.base, '2026-11-28T00:00:00.000Z'), child: good.child },
      ['reuse', 'reuse'],
      [/unchanged/, /unchanged/],
    ],
  ])('%s', (_, found, actions, reasons) => {
    const decisions = decideReuse(branch, inputs, new Map(Object.entries(found)), age);
    expect([...decisions.values()].map((d) => d.action)).toEqual(actions);
    reasons.forEach((reason, index) => expect([...decisions.values()][index]?.reason).toMatch(reason));
  });

  // The label names are a contract with every image already published: renaming one would
  // rebuild everything once, and a reader of another version would never reuse.
  it('reads the labels an earlier run wrote, by their published names', () => {
    const decisions = decideReuse(
      branch,
      inputs,
      new Map([
        [
          'base',
          published('base', {
            'org.opencontainers.image.revision': sha,
            'org.opencontainers.image.created': '2026-11-26T03:00:00.000Z',
            'io.mesos-pipeline.inputs': 'sha256:in-base',
          }),
        ],
        [
          'child',
          published('child', {
            'org.opencontainers.image.revision': sha,
            'org.opencontainers.image.created': '2026-11-26T03:00:00.000Z',
            'io.mesos-pipeline.inputs': 'sha256:in-child',
            'io.mesos-pipeline.base-image': 'sha256:id-base',
          }),
        ],
      ]),
      age,
    );
    expect([...decisions.values()].map((d) => d.action)).toEqual(['reuse', 'reuse']);
  });

  it('reuses exactly the published manifest', () => {
    const decisions = decideReuse(branch, inputs, new Map(Object.entries(good)), age);
    const child = decisions.get('child');
    expect(child?.action === 'reuse' && child.published.manifest.digest).toBe('sha256:m-child');
  });

  it('takes the rebuild age it is given', () => {
    const hourly = { ...age, rebuildAfterMs: 3_600_000 };
    const decisions = decideReuse(branch, inputs, new Map(Object.entries(good)), hourly);
    expect(decisions.get('base')?.reason).toBe(
      'the published image is 2d 00h old, older than --rebuild-after 1h 00m: rebuilt for OS and package updates',
    );
  });

  it('rebuilds for its age without the build cache, which holds the old layers; other rebuilds use it', () => {
    const noCache = (found: Record<string, Published>): (boolean | undefined)[] =>
      [...decideReuse(branch, inputs, new Map(Object.entries(found)), age).values()].map((decision) =>
        decision.action === 'build' ? (decision.noCache ?? false) : undefined,
      );
    expect(noCache({ base: createdAt(good.base, '2026-11-01T00:00:00.000Z'), child: good.child })).toEqual([
      true,
      false,
    ]);
    expect(noCache({ base: createdAt(good.base, undefined), child: good.child })).toEqual([true, false]);
    expect(
      noCache({ base: published('base', { ...good.base.labels, [INPUTS_LABEL]: 'sha256:old' }), child: good.child }),
    ).toEqual([false, false]);
    expect(noCache(good)).toEqual([undefined, undefined]);
  });
});

describe('readPublished', () => {
  const DOCKER_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
  const OCI = 'application/vnd.oci.image.manifest.v1+json';

  /** A registry that holds image configs as blobs, each in its repository. */
  function configRegistry(): Registry & { blobs: Map<string, Buffer> } {
    const blobs = new Map<string, Buffer>();
    return Object.assign(new MemoryRegistry(), {
      blobs,
      getBlob: (repository: string, digest: string): Promise<Buffer> => {
        const blob = blobs.get(`${repository}@${digest}`);
        return blob ? Promise.resolve(blob) : Promise.reject(new Error(`blob ${digest} unknown`));
      },
    });
  }

  function manifest(mediaType: string, body: object): Manifest {
    return { digest: `sha256:m-${mediaType.length}`, mediaType, bytes: Buffer.from(JSON.stringify(body)) };
  }

  async function read(floating: Record<string, Manifest | undefined>, configs: Record<string, object> = {}) {
    const registry = configRegistry();
    for (const [digest, config] of Object.entries(configs))
      registry.blobs.set(`n/base@${digest}`, Buffer.from(JSON.stringify(config)));
    const snapshot: Snapshot = new Map(
      Object.entries(floating).map(([name, found]) => [`r.io/n/${name}:1.11.x`, found] as const),
    );
    return Object.fromEntries(await readPublished(branch, snapshot, registry));
  }

  it.each<[string, Manifest | undefined, Record<string, object>, Published | string | undefined]>([
    ['no floating tag yet', undefined, {}, undefined],
    [
      'a Docker v2 image: its config labels',
      manifest(DOCKER_V2, { config: { digest: 'sha256:cfg' } }),
      { 'sha256:cfg': { config: { Labels: { a: '1' } } } },
      {
        manifest: manifest(DOCKER_V2, { config: { digest: 'sha256:cfg' } }),
        imageId: 'sha256:cfg',
        labels: { a: '1' },
      },
    ],
    [
      'an OCI image without labels',
      manifest(OCI, { config: { digest: 'sha256:cfg' } }),
      { 'sha256:cfg': { config: { Labels: null } } },
      { manifest: manifest(OCI, { config: { digest: 'sha256:cfg' } }), imageId: 'sha256:cfg', labels: {} },
    ],
    [
      'an image whose config has no config section',
      manifest(OCI, { config: { digest: 'sha256:cfg' } }),
      { 'sha256:cfg': {} },
      { manifest: manifest(OCI, { config: { digest: 'sha256:cfg' } }), imageId: 'sha256:cfg', labels: {} },
    ],
    [
      'an index',
      manifest('application/vnd.oci.image.index.v1+json', { manifests: [] }),
      {},
      'the floating tag holds a application/vnd.oci.image.index.v1+json, not a single image',
    ],
    ['a manifest without a config', manifest(OCI, { layers: [] }), {}, 'the floating tag has no image config'],
  ])('%s', async (_, found, configs, expected) => {
    const published = await read({ base: found }, configs);
    expect(published.base).toEqual(expected);
  });

  it('reads the floating tag of each image, not the dated one', async () => {
    const registry = configRegistry();
    registry.blobs.set(
      'n/child@sha256:cfg-child',
      Buffer.from(JSON.stringify({ config: { Labels: { who: 'child' } } })),
    );
    const snapshot: Snapshot = new Map([
      ['r.io/n/base:1.11.x-2026-11-27', manifest(OCI, { config: { digest: 'sha256:cfg-dated' } })],
      ['r.io/n/child:1.11.x', manifest(OCI, { config: { digest: 'sha256:cfg-child' } })],
    ]);
    const published = await readPublished(branch, snapshot, registry);
    expect([...published.keys()]).toEqual(['child']);
    expect((published.get('child') as Published).labels).toEqual({ who: 'child' });
  });

  it('lets a failed config read fail the decision', async () => {
    await expect(read({ base: manifest(OCI, { config: { digest: 'sha256:gone' } }) })).rejects.toThrow(
      'blob sha256:gone unknown',
    );
  });
});
