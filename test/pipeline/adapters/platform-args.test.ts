import { describe, expect, it } from 'vitest';
import { platformArgs, samePlatform } from '../../../pipeline/adapters/docker-engine.js';
import { indexEntries, makeIndex } from '../../../pipeline/publish/image-index.js';

describe('platformArgs', () => {
  it.each([
    ['linux/amd64', { TARGETPLATFORM: 'linux/amd64', TARGETOS: 'linux', TARGETARCH: 'amd64', TARGETVARIANT: '' }],
    ['linux/arm64', { TARGETPLATFORM: 'linux/arm64', TARGETOS: 'linux', TARGETARCH: 'arm64', TARGETVARIANT: '' }],
    ['linux/arm/v7', { TARGETPLATFORM: 'linux/arm/v7', TARGETOS: 'linux', TARGETARCH: 'arm', TARGETVARIANT: 'v7' }],
  ])('%s', (platform, args) => expect(platformArgs(platform)).toEqual(args));
});

describe('samePlatform', () => {
  it.each([
    ['linux/arm64', 'linux/arm64', true],
    ['linux/arm64/v8', 'linux/arm64', true],
    ['linux/amd64', 'linux/arm64', false],
    ['linux/arm/v7', 'linux/arm/v6', false],
  ])('%s and %s: %s', (a, b, same) => expect(samePlatform(a, b)).toBe(same));
});

describe('makeIndex', () => {
  const manifest = (mediaType: string, text: string) => ({
    digest: `sha256:${text}`,
    mediaType,
    bytes: Buffer.from(text),
  });
  it('lists Docker manifests in a Docker manifest list, in order, with their sizes and platforms', () => {
    const docker = 'application/vnd.docker.distribution.manifest.v2+json';
    const index = makeIndex([
      { platform: 'linux/amd64', manifest: manifest(docker, 'aaaa') },
      { platform: 'linux/arm/v7', manifest: manifest(docker, 'bbbbbb') },
    ]);
    expect(index.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(JSON.parse(index.bytes.toString()) as unknown).toMatchObject({
      schemaVersion: 2,
      manifests: [
        { digest: 'sha256:aaaa', size: 4, platform: { os: 'linux', architecture: 'amd64' } },
        { digest: 'sha256:bbbbbb', size: 6, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      ],
    });
    expect(indexEntries(index)).toEqual([
      { platform: 'linux/amd64', digest: 'sha256:aaaa' },
      { platform: 'linux/arm/v7', digest: 'sha256:bbbbbb' },
    ]);
  });

  it('lists OCI manifests in an OCI image index; a single manifest is no index', () => {
    const oci = manifest('application/vnd.oci.image.manifest.v1+json', 'cc');
    const index = makeIndex([{ platform: 'linux/arm64', manifest: oci }]);
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(indexEntries(oci)).toBeUndefined();
  });
});
