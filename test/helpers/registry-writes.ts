import { createHash, randomUUID } from 'node:crypto';

// Writes for setting up registry states in tests, independent of the pipeline's own client.

const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';

export async function putManifest(
  host: string,
  repository: string,
  tag: string,
  bytes: string,
  mediaType = MANIFEST_V2,
): Promise<string> {
  const response = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'Content-Type': mediaType },
    body: bytes,
  });
  if (!response.ok) throw new Error(`PUT manifest ${repository}:${tag}: ${response.status} ${await response.text()}`);
  return response.headers.get('docker-content-digest') ?? '';
}

/** A tiny image of its own (a unique config, no layers) under `tags`; returns its digest. */
export async function pushSyntheticImage(host: string, repository: string, tags: string[]): Promise<string> {
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: [] },
    history: [{ comment: randomUUID() }],
  });
  const digest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  const start = await fetch(`http://${host}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  const location = new URL(start.headers.get('location') ?? '', `http://${host}`);
  location.searchParams.set('digest', digest);
  const done = await fetch(location, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: config,
  });
  if (!done.ok) throw new Error(`blob upload to ${repository}: ${done.status}`);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_V2,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest },
    layers: [],
  });
  let manifestDigest = '';
  for (const tag of tags) manifestDigest = await putManifest(host, repository, tag, manifest);
  return manifestDigest;
}

/** Whether the registry still holds a manifest with this digest. */
export async function hasManifest(host: string, repository: string, digest: string): Promise<boolean> {
  const response = await fetch(`http://${host}/v2/${repository}/manifests/${digest}`, {
    method: 'HEAD',
    headers: { Accept: MANIFEST_V2 },
  });
  return response.ok;
}
