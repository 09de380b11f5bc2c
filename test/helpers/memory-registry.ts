import { createHash } from 'node:crypto';
import type { Manifest, Registry } from '../../pipeline/ports.js';
import { RegistryError } from '../../pipeline/errors.js';

// An in-memory registry for unit tests of orchestration, with the Registry API's semantics as the
// reference registry has them: storage per repository, manifests that must name blobs the
// repository has, deleting a manifest drops every tag on it, 405 for deletes where they are off.
// test/helpers/registry-contract.ts runs the same contract against it and a real registry.

const INDEX_MEDIA_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);
export const IMAGE_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const CONFIG = 'application/vnd.docker.container.image.v1+json';
const LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

export type Operation =
  'digestOf' | 'getManifest' | 'putManifest' | 'getBlob' | 'listTags' | 'deleteManifest' | 'putBlob';

/** One call of the Registry API, by which client: the run's, the one `forCleanup` made, or the engine's. */
export interface Call {
  client: 'run' | 'cleanup' | 'engine';
  op: Operation;
  repository: string;
  /** Tag or digest; for putManifest the tag, for blobs the digest. */
  reference: string;
  /** For putManifest: the digest of the manifest put. */
  digest?: string;
}

interface Repository {
  tags: Map<string, string>;
  manifests: Map<string, Manifest>;
  blobs: Map<string, Buffer>;
}

export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A single-platform image manifest (Docker schema 2) naming `config` and `layers` by digest. */
export function imageManifest(config: Buffer, layers: readonly Buffer[]): Manifest {
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: IMAGE_MANIFEST,
      config: { mediaType: CONFIG, size: config.length, digest: sha256(config) },
      layers: layers.map((layer) => ({ mediaType: LAYER, size: layer.length, digest: sha256(layer) })),
    }),
  );
  return { digest: sha256(bytes), mediaType: IMAGE_MANIFEST, bytes };
}

function refText(reference: string): string {
  return reference.startsWith('sha256:') ? `@${reference}` : `:${reference}`;
}

/** Shared by a registry and the cleanup clients made from it: one storage, one log. */
class Store {
  readonly repositories = new Map<string, Repository>();
  readonly calls: Call[] = [];
  intercept: ((call: Call) => void | Promise<void>) | undefined;

  repository(name: string): Repository {
    let repository = this.repositories.get(name);
    if (!repository) {
      repository = { tags: new Map(), manifests: new Map(), blobs: new Map() };
      this.repositories.set(name, repository);
    }
    return repository;
  }
}

export interface MemoryRegistryOptions {
  host?: string;
  /** The reference registry's default is false; the shared test registries have it on. */
  deleteEnabled?: boolean;
  /** The run's signal: once it aborts, this client's calls fail (a cleanup client's do not). */
  signal?: AbortSignal;
}

export class MemoryRegistry implements Registry {
  readonly host: string;
  readonly deleteEnabled: boolean;
  private readonly store: Store;
  private readonly client: Call['client'];
  private readonly signal: AbortSignal | undefined;

  constructor(options: MemoryRegistryOptions = {}, store = new Store(), client: Call['client'] = 'run') {
    this.host = options.host ?? 'memory.test';
    this.deleteEnabled = options.deleteEnabled ?? true;
    this.signal = options.signal;
    this.store = store;
    this.client = client;
  }

  // What tests set up and look at.

  /** Every call made so far, by every client of this registry, in order. */
  get calls(): readonly Call[] {
    return this.store.calls;
  }

  /**
   * Called before every call, after it is logged: throw to fail it (a fault, as the registry's
   * answer), or change the registry meanwhile (another writer).
   */
  set intercept(hook: ((call: Call) => void | Promise<void>) | undefined) {
    this.store.intercept = hook;
  }

  /** A manifest under `tag`, as it is: no checks (an index, a config-less manifest). */
  add(repository: string, tag: string, mediaType: string, body: object): string {
    const bytes = Buffer.from(JSON.stringify(body));
    const digest = sha256(bytes);
    const stored = this.store.repository(repository);
    stored.manifests.set(digest, { digest, mediaType, bytes });
    stored.tags.set(tag, digest);
    return digest;
  }

  /** A small single-platform image (a config with these labels, one layer) under `tags`. */
  addImage(
    repository: string,
    tags: readonly string[],
    labels: Record<string, string>,
  ): { digest: string; config: string } {
    const stored = this.store.repository(repository);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: labels } }));
    const layer = Buffer.from(`layer of ${JSON.stringify(labels)}`);
    stored.blobs.set(sha256(config), config);
    stored.blobs.set(sha256(layer), layer);
    const manifest = imageManifest(config, [layer]);
    const digest = manifest.digest;
    stored.manifests.set(digest, manifest);
    for (const tag of tags) stored.tags.set(tag, digest);
    return { digest, config: sha256(config) };
  }

  /** Points `tag` at a manifest the repository has (another writer's re-tag). */
  setTag(repository: string, tag: string, digest: string): void {
    const stored = this.store.repository(repository);
    if (!stored.manifests.has(digest)) throw new Error(`${repository} has no manifest ${digest}`);
    stored.tags.set(tag, digest);
  }

  tagsOf(repository: string): Record<string, string> {
    return Object.fromEntries([...(this.store.repositories.get(repository)?.tags ?? [])].sort());
  }

  /** `repository:tag` to digest, for every tag of every repository. */
  state(): Record<string, string> {
    const state: Record<string, string> = {};
    for (const [name, repository] of [...this.store.repositories].sort())
      for (const [tag, digest] of [...repository.tags].sort()) state[`${name}:${tag}`] = digest;
    return state;
  }

  hasManifest(repository: string, digest: string): boolean {
    return this.store.repositories.get(repository)?.manifests.has(digest) ?? false;
  }

  manifestOf(repository: string, digest: string): Manifest | undefined {
    return this.store.repositories.get(repository)?.manifests.get(digest);
  }

  // The Registry port.

  private async call(op: Operation, repository: string, reference: string, digest?: string): Promise<Repository> {
    if (this.client === 'run' && this.signal?.aborted) throw this.signal.reason;
    const call: Call = { client: this.client, op, repository, reference, ...(digest ? { digest } : {}) };
    this.store.calls.push(call);
    await this.store.intercept?.(call);
    return this.store.repository(repository);
  }

  private error(kind: string, repository: string, reference: string, status: number, code: string): RegistryError {
    const texts: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed' };
    return new RegistryError(
      'registry',
      `${kind} ${this.host}/${repository}${refText(reference)}: ${status} ${texts[status] ?? ''} (${code})`,
      { retryable: false, status },
    );
  }

  private resolve(stored: Repository, reference: string): string | undefined {
    if (reference.startsWith('sha256:')) return stored.manifests.has(reference) ? reference : undefined;
    return stored.tags.get(reference);
  }

  async digestOf(repository: string, reference: string): Promise<string | undefined> {
    return this.resolve(await this.call('digestOf', repository, reference), reference);
  }

  async getManifest(repository: string, reference: string): Promise<Manifest | undefined> {
    const stored = await this.call('getManifest', repository, reference);
    const digest = this.resolve(stored, reference);
    return digest ? stored.manifests.get(digest) : undefined;
  }

  async putManifest(repository: string, tag: string, manifest: Manifest): Promise<string> {
    const digest = sha256(manifest.bytes);
    const stored = await this.call('putManifest', repository, tag, digest);
    let body: { config?: { digest?: string }; layers?: { digest?: string }[]; manifests?: { digest?: string }[] };
    try {
      body = JSON.parse(manifest.bytes.toString('utf8')) as typeof body;
    } catch {
      throw this.error('manifest', repository, tag, 400, 'MANIFEST_INVALID');
    }
    if (manifest.mediaType === IMAGE_MANIFEST || manifest.mediaType === OCI_MANIFEST) {
      const blobs = [body.config?.digest, ...(body.layers ?? []).map((layer) => layer.digest)];
      if (blobs.some((blob) => blob === undefined || !stored.blobs.has(blob)))
        throw this.error('manifest', repository, tag, 400, 'MANIFEST_BLOB_UNKNOWN');
    }
    // An index whose manifests the repository lacks is refused, as distribution does.
    if (INDEX_MEDIA_TYPES.has(manifest.mediaType)) {
      const named = (body.manifests ?? []).map((entry) => entry.digest);
      if (named.length === 0 || named.some((entry) => entry === undefined || !stored.manifests.has(entry)))
        throw this.error('manifest', repository, tag, 400, 'MANIFEST_UNKNOWN');
    }
    stored.manifests.set(digest, { digest, mediaType: manifest.mediaType, bytes: manifest.bytes });
    stored.tags.set(tag, digest);
    return digest;
  }

  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const blob = (await this.call('getBlob', repository, digest)).blobs.get(digest);
    if (!blob) throw this.error('blob', repository, digest, 404, 'BLOB_UNKNOWN');
    return blob;
  }

  async listTags(repository: string): Promise<string[]> {
    return [...(await this.call('listTags', repository, '')).tags.keys()].sort();
  }

  async deleteManifest(repository: string, digest: string): Promise<void> {
    const stored = await this.call('deleteManifest', repository, digest);
    if (!this.deleteEnabled) throw this.error('manifest', repository, digest, 405, 'UNSUPPORTED');
    stored.manifests.delete(digest);
    for (const [tag, target] of stored.tags) if (target === digest) stored.tags.delete(tag);
  }

  async putBlob(repository: string, bytes: Buffer): Promise<string> {
    const digest = sha256(bytes);
    (await this.call('putBlob', repository, digest)).blobs.set(digest, bytes);
    return digest;
  }

  forCleanup(): Registry {
    return new MemoryRegistry({ host: this.host, deleteEnabled: this.deleteEnabled }, this.store, 'cleanup');
  }

  /** The client an engine fake pushes and pulls with: same storage, its calls logged as the engine's. */
  engineClient(): MemoryRegistry {
    return new MemoryRegistry({ host: this.host, deleteEnabled: this.deleteEnabled }, this.store, 'engine');
  }
}
