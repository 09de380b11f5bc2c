import { deadline } from '../deadline.js';
import { errorMessage, RegistryError } from '../errors.js';
import type { Clock, Credentials } from '../ports.js';
import { fetchWithDeadline } from './fetch-deadline.js';
import type { Logger } from '../log.js';
import type { TagDeleter } from '../registry/tag-deleter.js';
import { isNetworkError, isRetryableStatus, withRetry, type RetryContext } from '../retry.js';

export const DOCKER_HUB_API = 'https://hub.docker.com';

export interface DockerHubTagDeleterOptions {
  credentials: Credentials;
  retry: RetryContext;
  /** The Hub API; a local stand-in in tests. */
  baseUrl?: string;
  fetch?: typeof fetch;
  requestTimeoutMs?: number;
}

/**
 * Tag deletion on Docker Hub, which refuses manifest deletes on its registry API but deletes
 * single tags on its own API (DELETE /v2/repositories/<ns>/<name>/tags/<tag>/). Other tags on the
 * same image are never touched, so `exclusive` does not matter here.
 */
export class DockerHubTagDeleter implements TagDeleter {
  private readonly credentials: Credentials;
  private readonly retry: RetryContext;
  private readonly base: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private token: string | undefined;

  constructor(options: DockerHubTagDeleterOptions) {
    this.credentials = options.credentials;
    this.retry = options.retry;
    this.base = (options.baseUrl ?? DOCKER_HUB_API).replace(/\/+$/, '');
    this.fetch = options.fetch ?? fetch;
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  private async send(what: string, url: string, init: RequestInit): Promise<Response> {
    try {
      // Read within the deadline too: a Hub that stops mid-answer must not hold the run.
      return await fetchWithDeadline(this.fetch, url, init, {
        clock: this.retry.clock,
        timeoutMs: this.timeoutMs,
        signal: this.retry.signal,
      });
    } catch (error) {
      if (this.retry.signal?.aborted) throw this.retry.signal.reason;
      throw new RegistryError('registry', `${what}: cannot reach ${new URL(url).host}: ${errorMessage(error)}`, {
        retryable: isNetworkError(error),
        cause: error,
      });
    }
  }

  private async login(): Promise<string> {
    if (this.token) return this.token;
    const what = `Docker Hub login of ${this.credentials.username}`;
    const token = await withRetry(
      what,
      async () => {
        const response = await this.send(what, `${this.base}/v2/users/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ username: this.credentials.username, password: this.credentials.password }),
        });
        if (response.ok) return ((await response.json()) as { token?: string }).token;
        await response.body?.cancel();
        const hint =
          response.status === 401
            ? '; check REGISTRY_USERNAME and REGISTRY_PASSWORD (with two-factor authentication, a personal ' +
              'access token with delete scope)'
            : '';
        throw new RegistryError('registry', `${what}: ${response.status} ${response.statusText}${hint}`, {
          retryable: isRetryableStatus(response.status),
          status: response.status,
        });
      },
      this.retry,
    );
    if (!token) throw new RegistryError('registry', `${what}: the answer carried no token`, { retryable: false });
    this.token = token;
    return token;
  }

  async deleteTags(repository: string, tags: readonly string[]): Promise<void> {
    const slash = repository.indexOf('/');
    if (slash <= 0 || repository.indexOf('/', slash + 1) >= 0) {
      throw new RegistryError('registry', `docker.io/${repository}: Docker Hub repositories are NAMESPACE/NAME`, {
        retryable: false,
      });
    }
    for (const tag of tags) {
      const what = `delete tag docker.io/${repository}:${tag}`;
      await withRetry(
        what,
        async () => {
          const token = await this.login();
          const response = await this.send(
            what,
            `${this.base}/v2/repositories/${repository}/tags/${encodeURIComponent(tag)}/`,
            { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } },
          );
          await response.body?.cancel();
          // 404: already gone, which is what was wanted.
          if (response.ok || response.status === 404) return;
          const hint =
            response.status === 401 || response.status === 403
              ? `; ${this.credentials.username} may not delete tags of ${repository} (a personal access ` +
                `token needs the delete scope)`
              : '';
          throw new RegistryError('registry', `${what}: ${response.status} ${response.statusText}${hint}`, {
            retryable: isRetryableStatus(response.status),
            status: response.status,
          });
        },
        this.retry,
      );
    }
  }
}

export interface RollbackDeleterOptions {
  credentials: Credentials;
  log: Logger;
  clock: Clock;
  /** All the time the rollback has: the deleter gives up when it is spent. */
  budgetMs: number;
  baseUrl?: string;
}

/**
 * The Hub deleter a rollback uses: short requests and few retries, and no more time in all than
 * the rollback's own budget (not the maybe interrupted run's signal), counted from when it is made:
 * when the rollback starts. A signalled run has 10 s to stop.
 */
export function hubRollbackDeleter(options: RollbackDeleterOptions): TagDeleter {
  // Like Registry.forCleanup: not linked to the run's signal; its timer does not hold the process.
  const { signal } = deadline(options.clock, options.budgetMs);
  return new DockerHubTagDeleter({
    credentials: options.credentials,
    requestTimeoutMs: Math.min(5000, options.budgetMs),
    retry: {
      policy: { retries: 1, minDelayMs: 200, maxDelayMs: 1000 },
      log: options.log,
      clock: options.clock,
      signal,
    },
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
  });
}
