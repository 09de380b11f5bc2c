import { createHash } from 'node:crypto';
import { deadline } from '../deadline.js';
import { errorMessage } from '../errors.js';
import type { Credentials, Manifest, Registry } from '../ports.js';
import { isNetworkError, isRetryableStatus, RegistryError, withRetry, type RetryContext } from '../retry.js';
import { DOCKER_HUB } from '../../tags/index.js';

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  DOCKER_MANIFEST,
];

export interface RegistryHttpOptions {
  /** The host as references name it: `127.0.0.1:5000`, `docker.io`, `ghcr.io`. */
  host: string;
  credentials?: Credentials | undefined;
  retry: RetryContext;
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

type Action = 'pull' | 'pull,push' | 'delete';

interface RequestOptions {
  repository: string;
  action: Action;
  /** What the request is about, for messages: `manifest 127.0.0.1:5000/mesos/x:tag`. */
  subject: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Statuses that are answers, not failures (404 for "no such tag"). */
  accept: number[];
}

// Statuses a Response cannot carry a body with.
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/;

/** Registries on loopback speak plain HTTP, as dockerd assumes; everything else HTTPS. */
export function registryBaseUrl(host: string): string {
  if (host === DOCKER_HUB) return 'https://registry-1.docker.io';
  return LOOPBACK.test(host) ? `http://${host}` : `https://${host}`;
}

/** `Bearer realm="…",service="…"` into its parts. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const match of header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g))
    params[match[1] as string] = match[2] as string;
  return { scheme, params };
}

/** Seconds or an HTTP date, as Retry-After allows; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The Registry HTTP API v2 over fetch: Basic and Bearer token auth, bounded retries with backoff
 * and Retry-After, a timeout on every request. Credentials only ever travel in headers.
 */
export class RegistryHttp implements Registry {
  readonly host: string;
  private readonly base: string;
  private readonly credentials: Credentials | undefined;
  private readonly retry: RetryContext;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private basic = false;
  private readonly tokens = new Map<string, string>();

  constructor(options: RegistryHttpOptions) {
    this.host = options.host;
    this.base = registryBaseUrl(options.host);
    this.credentials = options.credentials;
    this.retry = options.retry;
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.fetch = options.fetch ?? fetch;
  }

  private basicHeader(): string | undefined {
    if (!this.credentials) return undefined;
    return `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
  }

  private authorization(scope: string): string | undefined {
    const token = this.tokens.get(scope);
    if (token) return `Bearer ${token}`;
    return this.basic ? this.basicHeader() : undefined;
  }

  /**
   * One HTTP exchange, answered and read in full within the request timeout (or until the run's
   * signal aborts): a registry that sends headers and then stalls the body is a timeout too.
   */
  private async exchange(url: string | URL, init: RequestInit): Promise<Response> {
    const limit = deadline(this.timeoutMs, this.retry.signal);
    try {
      const response = await this.fetch(url, { ...init, signal: limit.signal });
      const body = NULL_BODY_STATUSES.has(response.status) ? null : Buffer.from(await response.arrayBuffer());
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } finally {
      limit.dispose();
    }
  }

  /** Answers a 401 challenge; returns false when there is nothing more to try. */
  private async authenticate(challenge: string, scope: string, subject: string): Promise<boolean> {
    const { scheme, params } = parseChallenge(challenge);
    if (scheme === 'basic') {
      if (!this.credentials || this.basic) return false;
      this.basic = true;
      return true;
    }
    if (scheme !== 'bearer' || !params.realm || this.tokens.has(scope)) return false;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', scope);
    const basic = this.basicHeader();
    const response = await this.exchange(url, { headers: basic ? { Authorization: basic } : {} });
    if (!response.ok) {
      throw new RegistryError(
        'registry',
        `${subject}: the token service ${url.host} refused credentials (${response.status})`,
        { retryable: isRetryableStatus(response.status), status: response.status },
      );
    }
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) return false;
    this.tokens.set(scope, token);
    return true;
  }

  private async failure(response: Response, subject: string): Promise<RegistryError> {
    let code: string | undefined;
    let detail = '';
    try {
      const body = (await response.json()) as { errors?: { code?: string; message?: string }[] };
      const first = body.errors?.[0];
      code = first?.code;
      if (first) detail = ` (${[first.code, first.message].filter(Boolean).join(': ')})`;
    } catch {
      // No JSON error body: the status says it all.
    }
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.retry.clock.now().getTime());
    let hint = '';
    if (response.status === 401)
      hint = this.credentials
        ? '; the credentials were refused'
        : '; credentials are needed: set REGISTRY_USERNAME and REGISTRY_PASSWORD, or docker login';
    return new RegistryError('registry', `${subject}: ${response.status} ${response.statusText}${detail}${hint}`, {
      retryable: isRetryableStatus(response.status, code),
      retryAfterMs,
      status: response.status,
    });
  }

  private async request(method: string, path: string, options: RequestOptions): Promise<Response> {
    const scope = `repository:${options.repository}:${options.action === 'delete' ? '*' : options.action}`;
    return withRetry(
      `${method} ${options.subject}`,
      async () => {
        for (let round = 0; round < 3; round += 1) {
          const auth = this.authorization(scope);
          let response: Response;
          try {
            response = await this.exchange(path.startsWith('http') ? path : `${this.base}${path}`, {
              method,
              headers: { ...options.headers, ...(auth ? { Authorization: auth } : {}) },
              ...(options.body ? { body: options.body } : {}),
              redirect: 'follow',
            });
          } catch (error) {
            if (this.retry.signal?.aborted) throw this.retry.signal.reason;
            const why =
              error instanceof Error && error.name === 'TimeoutError'
                ? `${this.host} did not answer within ${this.timeoutMs / 1000}s`
                : `cannot reach ${this.host}: ${errorMessage(error)}${error instanceof Error && error.cause ? ` (${errorMessage(error.cause)})` : ''}`;
            throw new RegistryError('registry', `${options.subject}: ${why}`, {
              retryable: isNetworkError(error),
              cause: error,
            });
          }
          if (response.status === 401) {
            const challenge = response.headers.get('www-authenticate');
            if (challenge && (await this.authenticate(challenge, scope, options.subject))) continue;
          }
          if (response.ok || options.accept.includes(response.status)) return response;
          throw await this.failure(response, options.subject);
        }
        throw new RegistryError('registry', `${options.subject}: ${this.host} kept asking for authentication`, {
          retryable: false,
        });
      },
      this.retry,
    );
  }

  private subject(kind: string, repository: string, reference?: string): string {
    const ref = reference === undefined ? '' : reference.startsWith('sha256:') ? `@${reference}` : `:${reference}`;
    return `${kind} ${this.host}/${repository}${ref}`;
  }

  forCleanup(timeoutMs: number): Registry {
    // Deliberately not linked to the run's signal; never disposed, its timer does not hold the process.
    const { signal } = deadline(timeoutMs);
    const sibling = new RegistryHttp({
      host: this.host,
      credentials: this.credentials,
      retry: { ...this.retry, signal, policy: { retries: 2, minDelayMs: 200, maxDelayMs: 1000 } },
      requestTimeoutMs: Math.min(this.timeoutMs, timeoutMs),
      fetch: this.fetch,
    });
    sibling.basic = this.basic;
    for (const [scope, token] of this.tokens) sibling.tokens.set(scope, token);
    return sibling;
  }

  async digestOf(repository: string, reference: string): Promise<string | undefined> {
    const response = await this.request('HEAD', `/v2/${repository}/manifests/${reference}`, {
      repository,
      action: 'pull',
      subject: this.subject('manifest', repository, reference),
      headers: { Accept: MANIFEST_TYPES.join(', ') },
      accept: [404],
    });
    if (response.status === 404) return undefined;
    return response.headers.get('docker-content-digest') ?? undefined;
  }

  async getManifest(repository: string, reference: string): Promise<Manifest | undefined> {
    const response = await this.request('GET', `/v2/${repository}/manifests/${reference}`, {
      repository,
      action: 'pull',
      subject: this.subject('manifest', repository, reference),
      headers: { Accept: MANIFEST_TYPES.join(', ') },
      accept: [404],
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    const digest =
      response.headers.get('docker-content-digest') ?? `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const mediaType =
      (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ||
      ((JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? DOCKER_MANIFEST);
    return { digest, mediaType, bytes };
  }

  async putManifest(repository: string, tag: string, manifest: Manifest): Promise<string> {
    const response = await this.request('PUT', `/v2/${repository}/manifests/${tag}`, {
      repository,
      action: 'pull,push',
      subject: this.subject('manifest', repository, tag),
      headers: { 'Content-Type': manifest.mediaType },
      body: manifest.bytes,
      accept: [],
    });
    await response.body?.cancel();
    return (
      response.headers.get('docker-content-digest') ??
      `sha256:${createHash('sha256').update(manifest.bytes).digest('hex')}`
    );
  }

  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const response = await this.request('GET', `/v2/${repository}/blobs/${digest}`, {
      repository,
      action: 'pull',
      subject: this.subject('blob', repository, digest),
      accept: [],
    });
    return Buffer.from(await response.arrayBuffer());
  }

  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = `/v2/${repository}/tags/list?n=1000`;
    while (next) {
      const response: Response = await this.request('GET', next, {
        repository,
        action: 'pull',
        subject: this.subject('tags of', repository),
        accept: [404],
      });
      if (response.status === 404) {
        await response.body?.cancel();
        return [];
      }
      const body = (await response.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      const link = response.headers.get('link');
      const target = link ? /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] : undefined;
      next = target ? new URL(target, this.base).toString() : undefined;
    }
    return tags.sort();
  }

  async deleteManifest(repository: string, digest: string): Promise<void> {
    const response = await this.request('DELETE', `/v2/${repository}/manifests/${digest}`, {
      repository,
      action: 'delete',
      subject: this.subject('manifest', repository, digest),
      accept: [404],
    });
    await response.body?.cancel();
  }

  async putBlob(repository: string, bytes: Buffer): Promise<string> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const subject = this.subject('blob', repository, digest);
    const start = await this.request('POST', `/v2/${repository}/blobs/uploads/`, {
      repository,
      action: 'pull,push',
      subject,
      accept: [],
    });
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (!location)
      throw new RegistryError('registry', `${subject}: the registry gave no upload location`, { retryable: false });
    const url = new URL(location, this.base);
    url.searchParams.set('digest', digest);
    const done = await this.request('PUT', url.toString(), {
      repository,
      action: 'pull,push',
      subject,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes,
      accept: [],
    });
    await done.body?.cancel();
    return digest;
  }
}
