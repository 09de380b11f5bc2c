import { createHash } from 'node:crypto';
import { deadline, graceAfter } from '../deadline.js';
import { fetchWithDeadline } from './fetch-deadline.js';
import { errorMessage, RegistryError } from '../errors.js';
import type { Credentials, Manifest, Registry } from '../ports.js';
import { isNetworkError, isRetryableStatus, withRetry, type RetryContext } from '../retry.js';
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
  /** How long a write under way may still take to answer once the run is stopped (WRITE_GRACE_MS). */
  writeGraceMs?: number;
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
  /**
   * A write the registry acts on once received: when the run is stopped while it is under way, its
   * answer is still awaited for WRITE_GRACE_MS (no new attempt is made), so that the caller knows
   * whether it landed. Abandoned, it could land unseen after a rollback read the tag.
   */
  write?: boolean;
}

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

/** How a registry asked to be authenticated. */
type BearerScheme = { kind: 'bearer'; realm: string; service: string | undefined };
type Scheme = { kind: 'basic' } | BearerScheme;

/** A Bearer token, and when to stop using it: ahead of its expiry. */
interface Token {
  token: string;
  refreshAt: number;
}

/** What a request carried; `fresh`: the token was fetched for this request, not taken from the cache. */
type Sent = { kind: 'none' } | { kind: 'basic' } | { kind: 'bearer'; token: Token; fresh: boolean };
const NOTHING: Sent = { kind: 'none' };

interface TokenAnswer {
  token?: unknown;
  access_token?: unknown;
  expires_in?: unknown;
  issued_at?: unknown;
}

// The token spec's default when a token service gives no expires_in.
const DEFAULT_TOKEN_SECONDS = 60;
// Refresh this long before expiry (a quarter of a short life): requests in flight, clock skew.
const REFRESH_AHEAD_MS = 30_000;

/**
 * When to replace a token fetched at `sentAt` (this machine's clock): `expires_in` counted from
 * `issued_at` when the token service says the token is older than the request (a cached token),
 * from the request otherwise, so a token service whose clock runs ahead cannot stretch a life.
 * An `issued_at` that would make the token dead on arrival is clock skew, not age, and is ignored.
 */
export function refreshTime(answer: TokenAnswer, sentAt: number): number {
  const seconds =
    typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : DEFAULT_TOKEN_SECONDS;
  const lifeMs = seconds * 1000;
  const issuedAt = typeof answer.issued_at === 'string' ? Date.parse(answer.issued_at) : Number.NaN;
  const from = issuedAt <= sentAt && issuedAt > sentAt - lifeMs ? issuedAt : sentAt;
  return from + lifeMs - Math.min(REFRESH_AHEAD_MS, lifeMs / 4);
}

/** Whether `url` is on the registry's own origin: only there do credentials go. */
function sameOrigin(url: URL, base: string): boolean {
  return url.origin === new URL(base).origin;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/** How long a manifest PUT already sent may still take to answer after the run was stopped. */
export const WRITE_GRACE_MS = 3000;

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
  private readonly writeGraceMs: number;
  private readonly fetch: typeof fetch;
  /** How the registry asked to be authenticated, learnt from its first 401; not a credential. */
  private scheme: Scheme | undefined;
  private readonly tokens = new Map<string, Token>();
  /** Token fetches under way, per scope: concurrent requests share one (single-flight). */
  private readonly pending = new Map<string, Promise<Token>>();

  constructor(options: RegistryHttpOptions) {
    this.host = options.host;
    this.base = registryBaseUrl(options.host);
    this.credentials = options.credentials;
    this.retry = options.retry;
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.writeGraceMs = options.writeGraceMs ?? WRITE_GRACE_MS;
    this.fetch = options.fetch ?? fetch;
  }

  private basicHeader(): string | undefined {
    if (!this.credentials) return undefined;
    return `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
  }

  /**
   * What to send with a request for `scope`: nothing until the registry has asked, then Basic or a
   * Bearer token for the scope. A cached token is used only while it is well within its life;
   * otherwise a new one is fetched first (and that one is `fresh`: fetched for this request).
   */
  private async credentialFor(scope: string, subject: string): Promise<Sent> {
    const scheme = this.scheme;
    if (!scheme) return NOTHING;
    if (scheme.kind === 'basic') return this.credentials ? { kind: 'basic' } : NOTHING;
    const cached = this.tokens.get(scope);
    if (cached && this.retry.clock.now().getTime() < cached.refreshAt)
      return { kind: 'bearer', token: cached, fresh: false };
    return { kind: 'bearer', token: await this.fetchToken(scheme, scope, subject), fresh: true };
  }

  /** One token fetch per scope at a time: a request that needs one while another fetches joins it. */
  private fetchToken(scheme: BearerScheme, scope: string, subject: string): Promise<Token> {
    let pending = this.pending.get(scope);
    if (!pending) {
      pending = this.requestToken(scheme, scope, subject).finally(() => this.pending.delete(scope));
      this.pending.set(scope, pending);
    }
    return pending;
  }

  /**
   * One HTTP exchange, answered and read in full within the request timeout (or until the run's
   * signal aborts): a registry that sends headers and then stalls the body is a timeout too.
   */
  private exchange(url: string | URL, init: RequestInit, signal = this.retry.signal): Promise<Response> {
    return fetchWithDeadline(this.fetch, url, init, { clock: this.retry.clock, timeoutMs: this.timeoutMs, signal });
  }

  /**
   * GET <realm>?service=…&scope=… with the credentials (none: an anonymous token, as Docker Hub
   * gives for public pulls). A 401 or 403 means the credentials are wrong: never retried.
   */
  private async requestToken(scheme: BearerScheme, scope: string, subject: string): Promise<Token> {
    const url = new URL(scheme.realm);
    const service = `the token service ${url.host}`;
    const basic = this.basicHeader();
    // The realm is the registry's word, so it could name any host: credentials go there only
    // encrypted, or on this machine (the local registries of tests and the demo).
    if (basic && url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.host)))
      throw new RegistryError(
        'registry',
        `${subject}: the token service ${scheme.realm} is not HTTPS; credentials are sent only over HTTPS ` +
          `or on this machine`,
        { retryable: false },
      );
    if (scheme.service) url.searchParams.set('service', scheme.service);
    url.searchParams.set('scope', scope);
    const sentAt = this.retry.clock.now().getTime();
    let response: Response;
    try {
      response = await this.exchange(url, { headers: basic ? { Authorization: basic } : {} });
    } catch (error) {
      throw this.unreachable(error, subject, service);
    }
    if (!response.ok) {
      await response.body?.cancel();
      const what = `${response.status} ${response.statusText}`;
      const hint = this.credentials
        ? 'check REGISTRY_USERNAME and REGISTRY_PASSWORD'
        : 'credentials are needed: set REGISTRY_USERNAME and REGISTRY_PASSWORD, or docker login';
      throw new RegistryError(
        'registry',
        response.status === 401 || response.status === 403
          ? `${subject}: ${service} refused the credentials (${what}); ${hint}`
          : `${subject}: ${service} answered ${what}`,
        {
          retryable: isRetryableStatus(response.status),
          retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), sentAt),
          status: response.status,
        },
      );
    }
    let body: TokenAnswer;
    try {
      body = (await response.json()) as TokenAnswer;
    } catch {
      body = {};
    }
    const token = typeof body.token === 'string' && body.token ? body.token : body.access_token;
    if (typeof token !== 'string' || !token)
      throw new RegistryError('registry', `${subject}: ${service} answered without a token`, { retryable: false });
    const entry = { token, refreshAt: refreshTime(body, sentAt) };
    this.tokens.set(scope, entry);
    return entry;
  }

  /** A request that never got an answer, as a RegistryError (retryable when the network failed). */
  private unreachable(error: unknown, subject: string, what: string): unknown {
    if (this.retry.signal?.aborted) return this.retry.signal.reason;
    const why =
      error instanceof Error && error.name === 'TimeoutError'
        ? `${what} did not answer within ${this.timeoutMs / 1000}s`
        : `cannot reach ${what}: ` +
          `${errorMessage(error)}${error instanceof Error && error.cause ? ` (${errorMessage(error.cause)})` : ''}`;
    return new RegistryError('registry', `${subject}: ${why}`, { retryable: isNetworkError(error), cause: error });
  }

  /** `foreign`: the host of a URL off the registry's origin, which got no credentials at all. */
  private async failure(
    response: Response,
    subject: string,
    sent: Sent,
    scope: string,
    foreign?: string,
  ): Promise<RegistryError> {
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
    if (response.status === 401 && foreign)
      hint = `; ${foreign} is not the registry's own origin, so it gets no credentials`;
    else if (response.status === 401)
      hint =
        sent.kind === 'bearer' && this.credentials && this.scheme?.kind === 'bearer'
          ? `; the token service ${new URL(this.scheme.realm).host} granted a token for ${scope} that the ` +
            `registry refused (does the account have these rights?)`
          : this.credentials
            ? '; the credentials were refused'
            : '; credentials are needed: set REGISTRY_USERNAME and REGISTRY_PASSWORD, or docker login';
    return new RegistryError('registry', `${subject}: ${response.status} ${response.statusText}${detail}${hint}`, {
      retryable: isRetryableStatus(response.status, code),
      retryAfterMs,
      status: response.status,
    });
  }

  /**
   * Sends one request, following redirects itself so that credentials go only to the registry's
   * own origin: an upload Location, a Link or a redirect to another host gets none.
   */
  private async send(
    url: URL,
    options: RequestOptions,
    method: string,
    sent: Sent,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    let body = options.body;
    for (let hop = 0; ; hop += 1) {
      const authorization =
        sent.kind === 'basic' ? this.basicHeader() : sent.kind === 'bearer' ? `Bearer ${sent.token.token}` : undefined;
      const response = await this.exchange(
        url,
        {
          method,
          headers: {
            ...options.headers,
            ...(authorization && sameOrigin(url, this.base) ? { Authorization: authorization } : {}),
          },
          ...(body ? { body } : {}),
          redirect: 'manual',
        },
        signal,
      );
      const location = response.headers.get('location');
      if (!REDIRECTS.has(response.status) || !location || hop === MAX_REDIRECTS) return response;
      url = new URL(location, url);
      // As browsers do: 303, and 301/302 after a POST, continue as a GET without the body.
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        body = undefined;
      }
    }
  }

  /**
   * One registry request with retries. Authentication is decided per request, never through
   * shared flags: a 401 to a request that carried nothing, or a cached token, learns the scheme,
   * drops that token and authenticates once more; a 401 to credentials fetched for this very
   * request (or to Basic credentials) is a refusal.
   */
  private async request(method: string, path: string, options: RequestOptions): Promise<Response> {
    const scope = `repository:${options.repository}:${options.action === 'delete' ? '*' : options.action}`;
    const url = new URL(path, this.base);
    const own = sameOrigin(url, this.base);
    const run = this.retry.signal;
    // A write once sent is let finish: its attempts end WRITE_GRACE_MS after the run's signal.
    const grace = options.write ? graceAfter(this.retry.clock, this.writeGraceMs, run) : undefined;
    const signal = grace?.signal ?? run;
    return withRetry(
      `${method} ${options.subject}`,
      async () => {
        run?.throwIfAborted();
        let sent = own ? await this.credentialFor(scope, options.subject) : NOTHING;
        for (let round = 0; ; round += 1) {
          let response: Response;
          try {
            response = await this.send(url, options, method, sent, signal);
          } catch (error) {
            throw this.unreachable(error, options.subject, this.host);
          }
          if (response.status === 401 && own && round < 2 && this.reauthenticate(response, sent, scope)) {
            const next = await this.credentialFor(scope, options.subject);
            if (next.kind !== 'none') {
              await response.body?.cancel();
              sent = next;
              continue;
            }
          }
          if (response.ok || options.accept.includes(response.status)) return response;
          throw await this.failure(response, options.subject, sent, scope, own ? undefined : url.host);
        }
      },
      { ...this.retry, signal },
    ).finally(() => grace?.dispose());
  }

  /**
   * After a 401: learns the scheme the registry asks for and drops the token the request carried.
   * True when authenticating again may help: the request carried nothing, or a cached token.
   */
  private reauthenticate(response: Response, sent: Sent, scope: string): boolean {
    const challenge = response.headers.get('www-authenticate');
    if (!challenge) return false;
    const { scheme, params } = parseChallenge(challenge);
    if (scheme === 'basic') this.scheme = { kind: 'basic' };
    else if (scheme === 'bearer' && params.realm)
      this.scheme = { kind: 'bearer', realm: params.realm, service: params.service };
    else return false;
    if (sent.kind === 'bearer' && this.tokens.get(scope) === sent.token) this.tokens.delete(scope);
    if (sent.kind === 'none') return true;
    if (sent.kind === 'bearer') return !sent.fresh;
    // Basic credentials were refused; only a registry that now asks for a token is worth another try.
    return this.scheme.kind === 'bearer';
  }

  private subject(kind: string, repository: string, reference?: string): string {
    const ref = reference === undefined ? '' : reference.startsWith('sha256:') ? `@${reference}` : `:${reference}`;
    return `${kind} ${this.host}/${repository}${ref}`;
  }

  forCleanup(timeoutMs: number): Registry {
    // Deliberately not linked to the run's signal; never disposed, its timer does not hold the process.
    const { signal } = deadline(this.retry.clock, timeoutMs);
    const sibling = new RegistryHttp({
      host: this.host,
      credentials: this.credentials,
      retry: { ...this.retry, signal, policy: { retries: 2, minDelayMs: 200, maxDelayMs: 1000 } },
      requestTimeoutMs: Math.min(this.timeoutMs, timeoutMs),
      // The cleanup's own deadline bounds its writes: no grace beyond it.
      writeGraceMs: 0,
      fetch: this.fetch,
    });
    // The scheme is knowledge, not a credential; tokens are fetched afresh: the run's may have died
    // while it built, and the cleanup must not depend on anything the failed run held.
    sibling.scheme = this.scheme;
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
      write: true,
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
