import { readFileSync } from 'node:fs';

// A deliberately small, independent Registry API client for checking what the pipeline did:
// tests must not verify the pipeline's registry code with that same code.

export interface RegistryAccess {
  host: string;
  username?: string;
  password?: string;
}

const ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

function headers(access: RegistryAccess, extra: Record<string, string> = {}): Record<string, string> {
  const auth: Record<string, string> = access.username
    ? { Authorization: `Basic ${Buffer.from(`${access.username}:${access.password ?? ''}`).toString('base64')}` }
    : {};
  return { ...auth, ...extra };
}

export async function listTags(access: RegistryAccess, repository: string): Promise<string[]> {
  const response = await fetch(`http://${access.host}/v2/${repository}/tags/list`, { headers: headers(access) });
  if (response.status === 404) return [];
  if (!response.ok) throw new Error(`tags of ${repository}: ${response.status}`);
  return (((await response.json()) as { tags: string[] | null }).tags ?? []).sort();
}

export async function manifestOf(
  access: RegistryAccess,
  repository: string,
  reference: string,
): Promise<{ digest: string; bytes: string; config: string; layers: string[] } | undefined> {
  const response = await fetch(`http://${access.host}/v2/${repository}/manifests/${reference}`, {
    headers: headers(access, { Accept: ACCEPT }),
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`manifest ${repository}:${reference}: ${response.status}`);
  const bytes = await response.text();
  const manifest = JSON.parse(bytes) as { config: { digest: string }; layers: { digest: string }[] };
  return {
    digest: response.headers.get('docker-content-digest') ?? '',
    bytes,
    config: manifest.config.digest,
    layers: manifest.layers.map((l) => l.digest),
  };
}

export async function configOf(
  access: RegistryAccess,
  repository: string,
  digest: string,
): Promise<{ config: { Labels?: Record<string, string> }; rootfs: { diff_ids: string[] } }> {
  const response = await fetch(`http://${access.host}/v2/${repository}/blobs/${digest}`, { headers: headers(access) });
  if (!response.ok) throw new Error(`blob ${repository}@${digest}: ${response.status}`);
  return (await response.json()) as { config: { Labels?: Record<string, string> }; rootfs: { diff_ids: string[] } };
}

/** Every tag of every repository under `namespace` with its digest: the registry's whole state. */
export async function registryState(access: RegistryAccess, repositories: string[]): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  for (const repository of repositories) {
    for (const tag of await listTags(access, repository))
      state[`${repository}:${tag}`] = (await manifestOf(access, repository, tag))?.digest ?? 'missing';
  }
  return state;
}

/** Lines of the registry's access log that are blob upload starts for `repository`. */
export function blobUploads(logFile: string, repository: string): number {
  const needle = `"POST /v2/${repository}/blobs/uploads/`;
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.includes(needle)).length;
}

/** The raw bytes of a blob. */
export async function blobOf(access: RegistryAccess, repository: string, digest: string): Promise<Buffer> {
  const response = await fetch(`http://${access.host}/v2/${repository}/blobs/${digest}`, { headers: headers(access) });
  if (!response.ok) throw new Error(`blob ${repository}@${digest}: ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

/**
 * Copies `tags` of `from` to `to` in the same registry (blobs mounted, manifests put byte for
 * byte): a cheap way to give a scenario a registry state to start from.
 */
export async function copyTags(access: RegistryAccess, from: string, to: string, tags: string[]): Promise<void> {
  for (const tag of tags) {
    const response = await fetch(`http://${access.host}/v2/${from}/manifests/${tag}`, {
      headers: headers(access, { Accept: ACCEPT }),
    });
    if (!response.ok) throw new Error(`manifest ${from}:${tag}: ${response.status}`);
    const mediaType = response.headers.get('content-type') ?? 'application/vnd.docker.distribution.manifest.v2+json';
    const bytes = Buffer.from(await response.arrayBuffer());
    const manifest = JSON.parse(bytes.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
    for (const digest of [manifest.config.digest, ...manifest.layers.map((layer) => layer.digest)]) {
      const mount = await fetch(`http://${access.host}/v2/${to}/blobs/uploads/?mount=${digest}&from=${from}`, {
        method: 'POST',
        headers: headers(access),
      });
      await mount.body?.cancel();
      if (mount.status !== 201) throw new Error(`mount ${digest} from ${from} into ${to}: ${mount.status}`);
    }
    const put = await fetch(`http://${access.host}/v2/${to}/manifests/${tag}`, {
      method: 'PUT',
      headers: headers(access, { 'Content-Type': mediaType }),
      body: bytes,
    });
    await put.body?.cancel();
    if (put.status !== 201) throw new Error(`put ${to}:${tag}: ${put.status}`);
  }
}
