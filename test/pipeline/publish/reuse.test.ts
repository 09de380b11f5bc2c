import { describe, expect, it } from 'vitest';
import { BASE_IMAGE_LABEL, INPUTS_LABEL } from '../../../pipeline/publish/inputs.js';
import { decideReuse, readPublished, type Published } from '../../../pipeline/publish/reuse.js';
import type { Snapshot } from '../../../pipeline/publish/push.js';
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
      tags: ['r.io/n/base:1.11.x-2026-11-27', 'r.io/n/base:1.11.x'],
      buildArgs: {},
      labels: {},
    },
    {
      name: 'child',
      base: 'base',
      context: '/y',
      tags: ['r.io/n/child:1.11.x-2026-11-27', 'r.io/n/child:1.11.x'],
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
const good = {
  base: published('base', { 'org.opencontainers.image.revision': sha, [INPUTS_LABEL]: 'sha256:in-base' }),
  child: published('child', {
    'org.opencontainers.image.revision': sha,
    [INPUTS_LABEL]: 'sha256:in-child',
    [BASE_IMAGE_LABEL]: 'sha256:id-base',
  }),
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
      [/is of bbbbbbbbbbbb, the branch is at aaaaaaaaaaaa/, /its base base is rebuilt/],
    ],
    [
      'no revision label',
      { base: published('base', { [INPUTS_LABEL]: 'sha256:in-base' }), child: good.child },
      ['build', 'build'],
      [/unknown commit/, /base is rebuilt/],
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
  ])('%s', (_, found, actions, reasons) => {
    const decisions = decideReuse(branch, inputs, new Map(Object.entries(found)));
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
          published('base', { 'org.opencontainers.image.revision': sha, 'io.mesos-pipeline.inputs': 'sha256:in-base' }),
        ],
        [
          'child',
          published('child', {
            'org.opencontainers.image.revision': sha,
            'io.mesos-pipeline.inputs': 'sha256:in-child',
            'io.mesos-pipeline.base-image': 'sha256:id-base',
          }),
        ],
      ]),
    );
    expect([...decisions.values()].map((d) => d.action)).toEqual(['reuse', 'reuse']);
  });

  it('reuses exactly the published manifest', () => {
    const decisions = decideReuse(branch, inputs, new Map(Object.entries(good)));
    const child = decisions.get('child');
    expect(child?.action === 'reuse' && child.published.manifest.digest).toBe('sha256:m-child');
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
