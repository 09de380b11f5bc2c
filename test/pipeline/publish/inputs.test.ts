import { describe, expect, it } from 'vitest';
import type { Family } from '../../../pipeline/family/family.js';
import { makePlan, type PlannedBranch, type PlannedImage } from '../../../pipeline/plan/plan.js';
import type { RunShared } from '../../../pipeline/publish/context.js';
import { inputsDigest } from '../../../pipeline/publish/inputs.js';
import { expectedInputsOf } from '../../../pipeline/publish/reuse.js';

// The family the pipeline publishes: mesos-mini is built FROM mesos-centos.
const family: Family = {
  dir: '/images',
  file: '/images/images.json',
  images: [
    {
      name: 'mesos-centos',
      context: '/images/mesos-centos',
      dockerfile: '/images/mesos-centos/Dockerfile',
      smokeFile: '/images/mesos-centos/smoke.json',
    },
    {
      name: 'mesos-mini',
      base: 'mesos-centos',
      context: '/images/mesos-mini',
      dockerfile: '/images/mesos-mini/Dockerfile',
      smokeFile: '/images/mesos-mini/smoke.json',
    },
  ],
};

interface Run {
  date: string;
  createdAt: string;
  sha: string;
  releaseTag?: string;
  repo: string;
  registry: string;
}
const nightly: Run = {
  date: '2026-11-27',
  createdAt: '2026-11-27T03:00:12.345Z',
  sha: 'a'.repeat(40),
  repo: 'https://github.com/apache/mesos.git',
  registry: 'mesos',
};

function branchOf(run: Run): PlannedBranch {
  const plan = makePlan({
    date: run.date,
    imagesDir: 'test/fixtures/family',
    createdAt: run.createdAt,
    repo: run.repo,
    registry: { host: 'docker.io', namespace: run.registry },
    family,
    branches: [{ branch: '1.11.x', sha: run.sha, releaseTag: run.releaseTag }],
  });
  return plan.branches[0] as PlannedBranch;
}

const contexts = { 'mesos-centos': 'sha256:context-centos', 'mesos-mini': 'sha256:context-mini' };
function shared(digests: Record<string, string> = contexts): RunShared {
  return {
    smokeSpecs: new Map(),
    contextDigest: (image) => {
      const digest = digests[image];
      return digest ? Promise.resolve(digest) : Promise.reject(new Error(`no context digest for ${image}`));
    },
  };
}

async function inputsOf(run: Run, digests?: Record<string, string>): Promise<Record<string, string>> {
  return Object.fromEntries(await expectedInputsOf(branchOf(run), shared(digests)));
}

describe('the inputs digest of a planned branch', () => {
  it('is one sha256 digest per image, different for each image', async () => {
    const inputs = await inputsOf(nightly);
    expect(Object.keys(inputs)).toEqual(['mesos-centos', 'mesos-mini']);
    for (const digest of Object.values(inputs)) expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(inputs['mesos-centos']).not.toBe(inputs['mesos-mini']);
  });

  // The skip-unchanged check compares it with the label of the published image: anything in it
  // that changes every run (the day, the start time, the dated tag) would rebuild every night.
  it.each<[string, Partial<Run>]>([
    ['the next night', { date: '2026-11-28', createdAt: '2026-11-28T03:00:09.001Z' }],
    ['a rerun the same day', { createdAt: '2026-11-27T15:42:00.000Z' }],
  ])('is the same for the same build %s', async (_, change) => {
    const run = { ...nightly, ...change };
    // The plans differ (creation time, dated tags); what is built does not.
    expect(branchOf(run)).not.toEqual(branchOf(nightly));
    expect(await inputsOf(run)).toEqual(await inputsOf(nightly));
  });

  // What decides an image changes its digest, and a base's change reaches every image built on it.
  it.each<[string, Partial<Run>, Record<string, string> | undefined, string[]]>([
    ['the branch moved to another commit', { sha: 'b'.repeat(40) }, undefined, ['mesos-centos', 'mesos-mini']],
    ['the head became a release', { releaseTag: '1.11.0' }, undefined, ['mesos-centos', 'mesos-mini']],
    ['another source repository', { repo: 'https://example.org/mesos.git' }, undefined, ['mesos-centos', 'mesos-mini']],
    [
      "the base's build context",
      {},
      { ...contexts, 'mesos-centos': 'sha256:context-centos-2' },
      ['mesos-centos', 'mesos-mini'],
    ],
    ["the child's build context", {}, { ...contexts, 'mesos-mini': 'sha256:context-mini-2' }, ['mesos-mini']],
    ['another registry (tags only)', { registry: 'other' }, undefined, []],
  ])('changes when %s', async (_, change, digests, changed) => {
    const before = await inputsOf(nightly);
    const after = await inputsOf({ ...nightly, ...change }, digests);
    expect(Object.keys(after).filter((name) => after[name] !== before[name])).toEqual(changed);
  });
});

describe('inputsDigest', () => {
  const image: PlannedImage = branchOf(nightly).images[1] as PlannedImage;

  it('includes the inputs of the base it is built on', () => {
    const alone = inputsDigest(image, 'sha256:ctx', undefined);
    const onBase = inputsDigest(image, 'sha256:ctx', 'sha256:base-inputs');
    expect(onBase).not.toBe(alone);
    expect(inputsDigest(image, 'sha256:ctx', 'sha256:other-base')).not.toBe(onBase);
    expect(inputsDigest(image, 'sha256:ctx', 'sha256:base-inputs')).toBe(onBase);
  });

  it('does not depend on the order build args and labels were written in', () => {
    const reversed = (record: Record<string, string>): Record<string, string> =>
      Object.fromEntries(Object.entries(record).reverse());
    const shuffled = { ...image, buildArgs: reversed(image.buildArgs), labels: reversed(image.labels) };
    expect(inputsDigest(shuffled, 'sha256:ctx', 'sha256:b')).toBe(inputsDigest(image, 'sha256:ctx', 'sha256:b'));
  });

  it.each<[string, Partial<PlannedImage>]>([
    ['a build arg value', { buildArgs: { ...image.buildArgs, VERSION: '1.11.1' } }],
    ['an added build arg', { buildArgs: { ...image.buildArgs, EXTRA: '' } }],
    ['a label other than the creation time', { labels: { ...image.labels, 'org.opencontainers.image.title': 'x' } }],
    ['an added label', { labels: { ...image.labels, 'org.example.flavour': 'debug' } }],
    ['the image name', { name: 'mesos-mini-2' }],
  ])('changes with %s', (_, change) => {
    expect(inputsDigest({ ...image, ...change }, 'sha256:ctx', 'sha256:b')).not.toBe(
      inputsDigest(image, 'sha256:ctx', 'sha256:b'),
    );
  });

  it('ignores the creation time, and only it', () => {
    const later = { ...image, labels: { ...image.labels, 'org.opencontainers.image.created': '2030-01-01T00:00:00Z' } };
    expect(inputsDigest(later, 'sha256:ctx', undefined)).toBe(inputsDigest(image, 'sha256:ctx', undefined));
    expect(inputsDigest(image, 'sha256:ctx-2', undefined)).not.toBe(inputsDigest(image, 'sha256:ctx', undefined));
  });

  // The digest is a label on every published image: a new form of it rebuilds everything once.
  // Worked out by hand: sha256 of the JSON of { name, context, buildArgs, labels, base[, platform] }.
  const pinned: PlannedImage = {
    name: 'mesos-mini',
    base: 'mesos-centos',
    context: '/c',
    tags: { dated: 'r.io/n/mesos-mini:m-2026-11-27', floating: 'r.io/n/mesos-mini:m' },
    buildArgs: { VERSION: '1.11.0', B: 'x' },
    labels: { 'org.opencontainers.image.revision': 'a'.repeat(40), 'org.opencontainers.image.created': '2026-11-27' },
  };

  it('of a single image is what the images published before platforms carry', () => {
    expect(inputsDigest(pinned, 'sha256:ctx', 'sha256:base')).toBe(
      'sha256:c80d18a197a40c0cd7ae3603c96e412237e3cdb1c919fde78369b61bd42bdc21',
    );
  });

  it('of one platform of an image names the platform', () => {
    expect(inputsDigest(pinned, 'sha256:ctx', 'sha256:base', 'linux/amd64')).toBe(
      'sha256:6c37efe98d0eae8d4a9a817d4c3026598171bd3df532dd14870bb3d51d75a55a',
    );
    expect(inputsDigest(pinned, 'sha256:ctx', 'sha256:base', 'linux/arm64')).not.toBe(
      inputsDigest(pinned, 'sha256:ctx', 'sha256:base', 'linux/amd64'),
    );
  });
});
