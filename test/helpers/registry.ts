import { readFileSync } from 'node:fs';

// A deliberately small, independent Registry API client for checking what the pipeline did on the
// open, htpasswd and token registries: tests must not verify the pipeline's registry code with
// that same code.

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
  return { ...basic(access), ...extra };
}

function basic(access: RegistryAccess): Record<string, string> {
  return access.username
    ? { Authorization: `Basic ${Buffer.from(`${access.username}:${access.password ?? ''}`).toString('base64')}` }
    : {};
}

/**
 * fetch with the registry's auth: Basic as given, and for a token registry Docker Hub's flow
 * (the challenge's realm, service and scope; a token for every request, nothing cached).
 */
async function registryFetch(access: RegistryAccess, url: string, init: RequestInit = {}): Promise<Response> {
  const extra = (init.headers ?? {}) as Record<string, string>;
  const first = await fetch(url, { ...init, headers: headers(access, extra) });
  const challenge = first.headers.get('www-authenticate') ?? '';
  if (first.status !== 401 || !challenge.startsWith('Bearer ')) return first;
  await first.body?.cancel();
  const params: Record<string, string> = {};
  for (const match of challenge.matchAll(/(\w+)="([^"]*)"/g)) params[match[1] as string] = match[2] as string;
  const tokenUrl = new URL(params.realm ?? '');
  tokenUrl.searchParams.set('service', params.service ?? '');
  if (params.scope) tokenUrl.searchParams.set('scope', params.scope);
  const answer = await fetch(tokenUrl, { headers: basic(access) });
  if (!answer.ok) throw new Error(`token for ${params.scope ?? url}: ${answer.status}`);
  const { token } = (await answer.json()) as { token: string };
  return fetch(url, { ...init, headers: { ...extra, Authorization: `Bearer ${token}` } });
}

export async function listTags(access: RegistryAccess, repository: string): Promise<string[]> {
  const response = await registryFetch(access, `http://${access.host}/v2/${repository}/tags/list`);
  if (response.status === 404) return [];
  if (!response.ok) throw new Error(`tags of ${repository}: ${response.status}`);
  return (((await response.json()) as { tags: string[] | null }).tags ?? []).sort();
}

export async function manifestOf(
  access: RegistryAccess,
  repository: string,
  reference: string,
): Promise<{ digest: string; bytes: string; config: string; layers: string[] } | undefined> {
  const response = await registryFetch(access, `http://${access.host}/v2/${repository}/manifests/${reference}`, {
    headers: { Accept: ACCEPT },
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
  const response = await registryFetch(access, `http://${access.host}/v2/${repository}/blobs/${digest}`);
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
  const response = await registryFetch(access, `http://${access.host}/v2/${repository}/blobs/${digest}`);
  if (!response.ok) throw new Error(`blob ${repository}@${digest}: ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

/**
 * Copies `tags` of `from` to `to` in the same registry (blobs mounted, manifests put byte for
 * byte): a cheap way to give a scenario a registry state to start from.
 */
export async function copyTags(access: RegistryAccess, from: string, to: string, tags: string[]): Promise<void> {
  for (const tag of tags) {
    const response = await registryFetch(access, `http://${access.host}/v2/${from}/manifests/${tag}`, {
      headers: { Accept: ACCEPT },
    });
    if (!response.ok) throw new Error(`manifest ${from}:${tag}: ${response.status}`);
    const mediaType = response.headers.get('content-type') ?? 'application/vnd.docker.distribution.manifest.v2+json';
    const bytes = Buffer.from(await response.arrayBuffer());
    const manifest = JSON.parse(bytes.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
    for (const digest of [manifest.config.digest, ...manifest.layers.map((layer) => layer.digest)]) {
      const mount = await registryFetch(
        access,
        `http://${access.host}/v2/${to}/blobs/uploads/?mount=${digest}&from=${from}`,
        { method: 'POST' },
      );
      await mount.body?.cancel();
      if (mount.status !== 201) throw new Error(`mount ${digest} from ${from} into ${to}: ${mount.status}`);
    }
    const put = await registryFetch(access, `http://${access.host}/v2/${to}/manifests/${tag}`, {
      method: 'PUT',
      headers: { 'Content-Type': mediaType },
      body: bytes,
    });
    await put.body?.cancel();
    if (put.status !== 201) throw new Error(`put ${to}:${tag}: ${put.status}`);
  }
}
