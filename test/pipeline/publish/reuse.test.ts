import { describe, expect, it } from 'vitest';
import { BASE_IMAGE_LABEL, INPUTS_LABEL } from '../../../pipeline/publish/inputs.js';
import { decideReuse, type Published } from '../../../pipeline/publish/reuse.js';
import type { PlannedBranch } from '../../../pipeline/plan/plan.js';

const sha = 'a'.repeat(40);
const branch = {
  branch: '1.11.x',
  sha,
  version: '1.11.x',
  versionPattern: '',
  images: [
    { name: 'base', context: '/x', tags: ['r/n/base:1.11.x-2026-11-27', 'r/n/base:1.11.x'], buildArgs: {}, labels: {} },
    {
      name: 'child',
      base: 'base',
      context: '/y',
      tags: ['r/n/child:1.11.x-2026-11-27', 'r/n/child:1.11.x'],
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
