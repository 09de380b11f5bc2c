import { describe, expect, it } from 'vitest';
import type { Family } from '../../../pipeline/family/family.js';
import { narrowPlatforms } from '../../../pipeline/family/platform-filter.js';

const family: Family = {
  dir: '/f',
  file: '/f/images.json',
  images: [
    {
      name: 'base',
      context: '/f/base',
      dockerfile: 'Dockerfile',
      smokeFile: 'smoke.json',
      platforms: ['linux/amd64', 'linux/arm64'],
    },
    { name: 'plain', context: '/f/plain', dockerfile: 'Dockerfile', smokeFile: 'smoke.json' },
  ],
};
const platformsOf = (narrowed: Family): (string[] | undefined)[] => narrowed.images.map((image) => image.platforms);

describe('narrowPlatforms (MESOS_PIPELINE_PLATFORMS)', () => {
  it('leaves the family as declared when unset or empty', () => {
    expect(narrowPlatforms(family, undefined)).toBe(family);
    expect(narrowPlatforms(family, ' ')).toBe(family);
  });

  it('linux/amd64 alone: every image is a single image again, as before platforms existed', () => {
    const narrowed = narrowPlatforms(family, 'linux/amd64');
    expect(platformsOf(narrowed)).toEqual([undefined, undefined]);
    expect(narrowed.images.every((image) => !('platforms' in image))).toBe(true);
  });

  it('keeps the declared order and only the named platforms', () => {
    expect(
      platformsOf(
        narrowPlatforms({ ...family, images: [family.images[0] as Family['images'][0]] }, 'linux/arm64, linux/amd64'),
      ),
    ).toEqual([['linux/amd64', 'linux/arm64']]);
    expect(
      platformsOf(narrowPlatforms({ ...family, images: [family.images[0] as Family['images'][0]] }, 'linux/arm64')),
    ).toEqual([['linux/arm64']]);
  });

  // Lists are often built by joining with a comma: an empty entry names nothing, and is no bad platform.
  it('skips empty entries of the list', () => {
    expect(platformsOf(narrowPlatforms(family, 'linux/arm64,,linux/amd64,'))).toEqual([
      ['linux/amd64', 'linux/arm64'],
      undefined,
    ]);
  });

  it.each([
    [
      'linux/arm64',
      /^MESOS_PIPELINE_PLATFORMS="linux\/arm64": plain is built for linux\/amd64 only; name at least one of them$/,
    ],
    [
      'arm64',
      /^MESOS_PIPELINE_PLATFORMS="arm64": arm64 is not a platform; give platforms such as linux\/amd64,linux\/arm64$/,
    ],
    [
      'linux/s390x',
      /^MESOS_PIPELINE_PLATFORMS="linux\/s390x": base is built for linux\/amd64, linux\/arm64 only; name at least one of them$/,
    ],
    // Every bad entry is named, not just the first.
    [
      'arm64,x86',
      /^MESOS_PIPELINE_PLATFORMS="arm64,x86": arm64, x86 are not platforms; give platforms such as linux\/amd64,linux\/arm64$/,
    ],
  ])('refuses %s with one line that says what would be right', (wanted, message) => {
    expect(() => narrowPlatforms(family, wanted)).toThrow(message);
  });
});
