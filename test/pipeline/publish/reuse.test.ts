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
    {
      name: 'base',
      context: '/x',
      tags: { dated: 'r/n/base:1.11.x-2026-11-27', floating: 'r/n/base:1.11.x' },
      buildArgs: {},
      labels: {},
    },
    {
      name: 'child',
      base: 'base',
      context: '/y',
      tags: { dated: 'r/n/child:1.11.x-2026-11-27', floating: 'r/n/child:1.11.x' },
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

  it('reuses exactly the published manifest', () => {
    const decisions = decideReuse(branch, inputs, new Map(Object.entries(good)));
    const child = decisions.get('child');
    expect(child?.action === 'reuse' && child.published.manifest.digest).toBe('sha256:m-child');
  });
});
