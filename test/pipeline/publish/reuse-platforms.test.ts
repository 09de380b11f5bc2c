import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PlannedBranch } from '../../../pipeline/plan/plan.js';
import type { Manifest } from '../../../pipeline/ports.js';
import { makeIndex } from '../../../pipeline/publish/image-index.js';
import { inputsDigest } from '../../../pipeline/publish/inputs.js';
import {
  decideReuse,
  expectedInputsOf,
  platformKey,
  readPublished,
  type Published,
  type PublishedPlatform,
} from '../../../pipeline/publish/reuse.js';
import type { Snapshot } from '../../../pipeline/publish/snapshot.js';
import { MemoryRegistry } from '../../helpers/memory-registry.js';

// The reuse decision for multi-platform images (image indexes), on its own: an index is reused
// only when every platform's image would be, each on its base's image of that platform.

const sha = 'a'.repeat(40);
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const branch = {
  branch: '1.11.x',
  sha,
  version: '1.11.x',
  versionPattern: '',
  images: [
    {
      name: 'base',
      context: '/x',
      platforms: PLATFORMS,
      tags: { dated: 'r.io/n/base:1.11.x-2026-11-27', floating: 'r.io/n/base:1.11.x' },
      buildArgs: {},
      labels: {},
    },
    {
      name: 'child',
      base: 'base',
      context: '/y',
      platforms: PLATFORMS,
      tags: { dated: 'r.io/n/child:1.11.x-2026-11-27', floating: 'r.io/n/child:1.11.x' },
      buildArgs: {},
      labels: {},
    },
  ],
} as PlannedBranch;

const REVISION = 'org.opencontainers.image.revision';
const CREATED = 'org.opencontainers.image.created';
const INPUTS = 'io.mesos-pipeline.inputs';
const BASE_IMAGE = 'io.mesos-pipeline.base-image';
const age = { now: new Date('2026-11-27T03:00:00.000Z'), rebuildAfterMs: 7 * 86_400_000 };
const arch = (platform: string): string => platform.split('/')[1] ?? '';

const inputs = new Map(
  ['base', 'child'].flatMap((name) =>
    PLATFORMS.map((platform) => [platformKey(name, platform), `sha256:in-${name}-${arch(platform)}`] as const),
  ),
);

/** One platform's published image of `name`, as it would be reused; `change` alters its labels. */
function platformImage(name: string, platform: string, change: Record<string, string | undefined> = {}) {
  const labels: Record<string, string> = {
    [REVISION]: sha,
    [INPUTS]: `sha256:in-${name}-${arch(platform)}`,
    [CREATED]: `2026-11-25T03:00:00.000Z`,
    ...(name === 'child' ? { [BASE_IMAGE]: `sha256:id-base-${arch(platform)}` } : {}),
  };
  for (const [key, value] of Object.entries(change))
    if (value === undefined) delete labels[key];
    else labels[key] = value;
  const manifest: Manifest = { digest: `sha256:m-${name}-${arch(platform)}`, mediaType: 'x', bytes: Buffer.from('') };
  return { platform, manifest, imageId: `sha256:id-${name}-${arch(platform)}`, labels };
}

function index(name: string, platforms: PublishedPlatform[]): Published {
  const first = platforms[0] as PublishedPlatform;
  return {
    manifest: { digest: `sha256:index-${name}`, mediaType: 'x', bytes: Buffer.from('') },
    imageId: first.imageId,
    labels: first.labels,
    platforms,
  };
}

const good = {
  base: index(
    'base',
    PLATFORMS.map((platform) => platformImage('base', platform)),
  ),
  child: index(
    'child',
    PLATFORMS.map((platform) => platformImage('child', platform)),
  ),
};
/** The index of `name` with its arm64 image changed. */
const arm64 = (name: 'base' | 'child', change: Record<string, string | undefined>): Published =>
  index(name, [platformImage(name, 'linux/amd64'), platformImage(name, 'linux/arm64', change)]);

describe('decideReuse, multi-platform images', () => {
  it.each<[string, Record<string, Published>, string[], (string | RegExp)[]]>([
    [
      'every platform unchanged',
      good,
      ['reuse', 'reuse'],
      [
        'unchanged on every platform since 2026-11-25T03:00:00.000Z',
        'unchanged on every platform since 2026-11-25T03:00:00.000Z',
      ],
    ],
    [
      'the base index lacks a platform',
      { base: index('base', [platformImage('base', 'linux/amd64')]), child: good.child },
      ['build', 'build'],
      ['the published index has no linux/arm64 image', 'its base base is rebuilt'],
    ],
    [
      'one platform of another commit',
      { base: arm64('base', { [REVISION]: 'b'.repeat(40) }), child: good.child },
      ['build', 'build'],
      ['the published linux/arm64 image is of bbbbbbbbbbbb, the branch is at aaaaaaaaaaaa', 'its base base is rebuilt'],
    ],
    [
      'one platform without a revision',
      { base: good.base, child: arm64('child', { [REVISION]: undefined }) },
      ['reuse', 'build'],
      [/unchanged/, 'the published linux/arm64 image is of an unknown commit, the branch is at aaaaaaaaaaaa'],
    ],
    [
      "one platform's inputs changed",
      { base: good.base, child: arm64('child', { [INPUTS]: 'sha256:old' }) },
      ['reuse', 'build'],
      [/unchanged/, 'the build inputs of linux/arm64 changed (context, build args or labels)'],
    ],
    [
      // Each platform stands on its base's image of that platform, not on the index's first.
      "the child's arm64 image built on the base's amd64 image",
      { base: good.base, child: arm64('child', { [BASE_IMAGE]: 'sha256:id-base-amd64' }) },
      ['reuse', 'build'],
      [/unchanged/, 'its linux/arm64 image was not built on the published base'],
    ],
    [
      'one platform older than the rebuild age',
      { base: good.base, child: arm64('child', { [CREATED]: '2026-11-01T03:00:00.000Z' }) },
      ['reuse', 'build'],
      [/unchanged/, /^the published image is 26d 00h old, older than --rebuild-after 7d 00h/],
    ],
  ])('%s', (_, found, actions, reasons) => {
    const decisions = [...decideReuse(branch, inputs, new Map(Object.entries(found)), age).values()];
    expect(decisions.map((decision) => decision.action)).toEqual(actions);
    reasons.forEach((reason, at) =>
      typeof reason === 'string'
        ? expect(decisions[at]?.reason).toBe(reason)
        : expect(decisions[at]?.reason).toMatch(reason),
    );
  });

  it('rebuilds a platform too old without the build cache', () => {
    const found = { base: good.base, child: arm64('child', { [CREATED]: '2026-11-01T03:00:00.000Z' }) };
    const child = decideReuse(branch, inputs, new Map(Object.entries(found)), age).get('child');
    expect(child).toMatchObject({ action: 'build', noCache: true });
  });

  it('a child index on a base published as a single image: each platform stands on that image', () => {
    const [base, child] = branch.images as [PlannedBranch['images'][0], PlannedBranch['images'][0]];
    const onSingle = { ...branch, images: [{ ...base, platforms: undefined }, child] };
    const single = platformImage('base', 'linux/amd64');
    const found = (baseImage: string) =>
      new Map<string, Published>([
        ['base', { manifest: single.manifest, imageId: 'sha256:id-base', labels: single.labels }],
        [
          'child',
          index(
            'child',
            PLATFORMS.map((platform) => platformImage('child', platform, { [BASE_IMAGE]: baseImage })),
          ),
        ],
      ]);
    const singleInputs = new Map([...inputs, ['base', 'sha256:in-base-amd64']]);
    const on = (baseImage: string) => decideReuse(onSingle, singleInputs, found(baseImage), age).get('child')?.action;
    expect(on('sha256:id-base')).toBe('reuse');
    expect(on('sha256:id-base-amd64')).toBe('build');
  });

  it('reuses the whole index as published', () => {
    const child = decideReuse(branch, inputs, new Map(Object.entries(good)), age).get('child');
    expect(child?.action === 'reuse' && child.published).toBe(good.child);
  });
});

describe('readPublished, image indexes', () => {
  /** Publishes base's platform images (labels per platform) and an index of them under the floating tag. */
  function publish(platforms: string[], drop?: string): { registry: MemoryRegistry; snapshot: Snapshot } {
    const registry = new MemoryRegistry();
    const entries = platforms.map((platform) => {
      const { digest } = registry.addImage('n/base', [], { who: `base ${platform}` });
      return { platform, manifest: registry.manifestOf('n/base', digest) as Manifest };
    });
    const made = makeIndex(
      entries.map((entry) =>
        entry.platform === drop
          ? { ...entry, manifest: { ...entry.manifest, digest: `sha256:${'0'.repeat(64)}` } }
          : entry,
      ),
    );
    return { registry, snapshot: new Map([['r.io/n/base:1.11.x', made]]) };
  }
  const baseOnly = { ...branch, images: branch.images.slice(0, 1) };

  it("reads each platform's image, its config digest and labels, in the index's order", async () => {
    const { registry, snapshot } = publish(PLATFORMS);
    const found = (await readPublished(baseOnly, snapshot, registry)).get('base') as Published;
    expect(found.platforms?.map((platform) => [platform.platform, platform.labels])).toEqual([
      ['linux/amd64', { who: 'base linux/amd64' }],
      ['linux/arm64', { who: 'base linux/arm64' }],
    ]);
    expect(found.labels).toEqual({ who: 'base linux/amd64' });
    expect(found.imageId).toBe(found.platforms?.[0]?.imageId);
    expect(found.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(found.manifest).toBe(snapshot.get('r.io/n/base:1.11.x'));
  });

  it.each<[string, string[], string | undefined, string]>([
    [
      'an index of other platforms',
      ['linux/amd64'],
      undefined,
      'the published index names linux/amd64, the plan linux/amd64, linux/arm64',
    ],
    [
      // Compared in order, each name shown: the plan's platforms listed in another order are not reused.
      'an index of the same platforms in another order',
      ['linux/arm64', 'linux/amd64'],
      undefined,
      'the published index names linux/arm64, linux/amd64, the plan linux/amd64, linux/arm64',
    ],
    [
      'an index of no platform',
      [],
      undefined,
      'the published index names no platform, the plan linux/amd64, linux/arm64',
    ],
    [
      'a platform image the registry lost',
      PLATFORMS,
      'linux/arm64',
      'the published linux/arm64 image has no readable config',
    ],
  ])('%s: says why it cannot be reused', async (_, platforms, drop, why) => {
    const { registry, snapshot } = publish(platforms, drop);
    expect((await readPublished(baseOnly, snapshot, registry)).get('base')).toBe(why);
  });

  it('a single image where the plan has platforms: says it is no index', async () => {
    const registry = new MemoryRegistry();
    const { digest } = registry.addImage('n/base', [], {});
    const single = registry.manifestOf('n/base', digest) as Manifest;
    const found = await readPublished(baseOnly, new Map([['r.io/n/base:1.11.x', single]]), registry);
    expect(found.get('base')).toBe(
      `the floating tag holds a ${single.mediaType}, not an image index of linux/amd64, linux/arm64`,
    );
  });
});

describe('expectedInputsOf, multi-platform images', () => {
  it("gives each platform of a child the inputs of its base's image of that platform", async () => {
    const shared = {
      smokeSpecs: new Map(),
      contextDigest: (image: string) => Promise.resolve(`sha256:ctx-${image}`),
    };
    const expected = await expectedInputsOf(branch, shared);
    const [base, child] = branch.images as [PlannedBranch['images'][0], PlannedBranch['images'][0]];
    const baseAlone = inputsDigest(base, 'sha256:ctx-base', undefined);
    expect(expected.get('base')).toBe(baseAlone);
    expect(expected.get('child')).toBe(inputsDigest(child, 'sha256:ctx-child', baseAlone));
    for (const platform of PLATFORMS) {
      const basePlatform = inputsDigest(base, 'sha256:ctx-base', undefined, platform);
      expect(expected.get(platformKey('base', platform))).toBe(basePlatform);
      expect(expected.get(platformKey('child', platform))).toBe(
        inputsDigest(child, 'sha256:ctx-child', basePlatform, platform),
      );
    }
    expect(expected.size).toBe(6);
  });
});

describe('reuse at its edges (found by mutation testing, MUTATION.md)', () => {
  it("gives a child's platform on a base built as a single image the base's single inputs", async () => {
    const [base, child] = branch.images as [PlannedBranch['images'][0], PlannedBranch['images'][0]];
    const onSingle = {
      ...branch,
      images: [
        { ...base, platforms: undefined },
        { ...child, platforms: ['linux/amd64'] },
      ],
    };
    const shared = { smokeSpecs: new Map(), contextDigest: (image: string) => Promise.resolve(`sha256:ctx-${image}`) };
    const expected = await expectedInputsOf(onSingle, shared);
    const baseAlone = inputsDigest(base, 'sha256:ctx-base', undefined);
    // As branch-build.ts builds it: on the single base image, whose inputs are the base's.
    expect(expected.get(platformKey('child', 'linux/amd64'))).toBe(
      inputsDigest(onSingle.images[1] as PlannedBranch['images'][0], 'sha256:ctx-child', baseAlone, 'linux/amd64'),
    );
    expect(expected.size).toBe(3);
  });

  /** An index of base under the floating tag whose arm64 image is `arm64` (a manifest body, its config blob). */
  async function indexWith(arm64: object, config?: object): Promise<{ registry: MemoryRegistry; snapshot: Snapshot }> {
    const registry = new MemoryRegistry();
    const amd64 = registry.addImage('n/base', [], { who: 'base linux/amd64' });
    if (config) await registry.putBlob('n/base', Buffer.from(JSON.stringify(config)));
    const digest = registry.add('n/base', 'arm64', 'application/vnd.docker.distribution.manifest.v2+json', arm64);
    const entries = [
      { platform: 'linux/amd64', manifest: registry.manifestOf('n/base', amd64.digest) as Manifest },
      { platform: 'linux/arm64', manifest: registry.manifestOf('n/base', digest) as Manifest },
    ];
    return { registry, snapshot: new Map([['r.io/n/base:1.11.x', makeIndex(entries)]]) };
  }
  const baseOnly = { ...branch, images: branch.images.slice(0, 1) };

  it('a platform image without a config: says it has no readable config', async () => {
    const { registry, snapshot } = await indexWith({ layers: [] });
    expect((await readPublished(baseOnly, snapshot, registry)).get('base')).toBe(
      'the published linux/arm64 image has no readable config',
    );
  });

  it('a platform image whose config has no config section: no labels', async () => {
    const config = { architecture: 'arm64', os: 'linux' };
    const configDigest = `sha256:${createHash('sha256').update(JSON.stringify(config)).digest('hex')}`;
    const { registry, snapshot } = await indexWith({ config: { digest: configDigest } }, config);
    const found = (await readPublished(baseOnly, snapshot, registry)).get('base') as Published;
    expect(found.platforms?.map((platform) => [platform.platform, platform.imageId, platform.labels])).toEqual([
      ['linux/amd64', found.imageId, { who: 'base linux/amd64' }],
      ['linux/arm64', configDigest, {}],
    ]);
  });
});
