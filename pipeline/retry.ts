import pRetry from 'p-retry';
import { errorMessage, RegistryError } from './errors.js';
import type { Logger } from './log.js';
import { causeChain, errorCode, networkFailureOf } from './network-failures.js';
import type { Clock } from './ports.js';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, minDelayMs: 1000, maxDelayMs: 15_000 };

// Registry error codes that mean "try again" (go-containerregistry's list); statuses likewise.
const RETRYABLE_CODES = new Set(['UNAVAILABLE', 'TOOMANYREQUESTS', 'BLOB_UPLOAD_INVALID', 'UNKNOWN']);
const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number, code?: string): boolean {
  if (status === 401 || status === 403) return false;
  return RETRYABLE_STATUSES.has(status) || (code !== undefined && RETRYABLE_CODES.has(code));
}

// What the engine writes into a push stream when a registry call failed. Permanent causes are
// checked first: a 401 is never retried, even if the line also mentions a retryable word.
const PERMANENT_TEXT =
  /unauthori[sz]ed|authentication required|no basic auth credentials|denied|forbidden|name[ _]invalid|manifest[ _]invalid|invalid reference|repository name must/i;
const TRANSIENT_TEXT =
  /connection reset|use of closed network connection|server closed idle connection|unexpected EOF|broken pipe|\bEOF\b|i\/o timeout|timeout|timed out|connection refused|TLS handshake|toomanyrequests|too many requests|unavailable|blob upload invalid|\b(408|429|500|502|503|504)\b|server error|bad gateway|service unavailable|gateway timeout|network is unreachable|unexpected status/i;

export function isTransientText(message: string): boolean {
  return !PERMANENT_TEXT.test(message) && TRANSIENT_TEXT.test(message);
}

// Failures the next attempt would meet again: a port or scheme fetch will not use, a URL it cannot
// parse, a certificate it does not trust, and the codes NETWORK_FAILURES marks as not transient (a
// name DNS says does not exist). Retrying them only makes the user wait for the same error.
// The certificate codes are every X509 verification code Node reports (its tls docs, "X509
// certificate error codes"), but OUT_OF_MEM; OpenSSL's own failures are ERR_SSL_*.
const PERMANENT_CODES = new Set([
  'ERR_INVALID_URL',
  'ERR_INVALID_URL_SCHEME',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);
const isPermanentCode = (code: string): boolean => PERMANENT_CODES.has(code) || code.startsWith('ERR_SSL_');
const PERMANENT_MESSAGES = /^(bad port|unknown scheme|invalid url|invalid method)/i;
const TRANSIENT_MESSAGES = /socket hang up|fetch failed|other side closed/i;

/** Whether a thrown value from fetch or a socket is a network failure worth retrying. */
export function isNetworkError(error: unknown): boolean {
  const chain = causeChain(error);
  const permanent = chain.some((link) => {
    const code = errorCode(link);
    if (code !== undefined && (isPermanentCode(code) || networkFailureOf(link)?.transient === false)) return true;
    return PERMANENT_MESSAGES.test(link.message);
  });
  if (permanent) return false;
  return (
    networkFailureOf(error)?.transient === true ||
    chain.some((link) => link.name === 'TimeoutError' || TRANSIENT_MESSAGES.test(link.message))
  );
}

export interface RetryContext {
  policy: RetryPolicy;
  log: Logger;
  clock: Clock;
  signal?: AbortSignal | undefined;
}

/**
 * Runs `attempt` until it succeeds, fails permanently or the retries run out: exponential backoff
 * with jitter, at least the registry's Retry-After. Every retry is logged, so it shows in progress.
 * Only RegistryErrors marked retryable are retried; the run's signal stops it at once.
 */
export async function withRetry<T>(what: string, attempt: () => Promise<T>, context: RetryContext): Promise<T> {
  const { policy, log, clock, signal } = context;
  return pRetry(
    async () => {
      signal?.throwIfAborted();
      return attempt();
    },
    {
      retries: policy.retries,
      minTimeout: policy.minDelayMs,
      maxTimeout: policy.maxDelayMs,
      factor: 2,
      randomize: true,
      ...(signal ? { signal } : {}),
      shouldRetry: ({ error }) => !signal?.aborted && error instanceof RegistryError && error.retryable,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (signal?.aborted || !(error instanceof RegistryError) || !error.retryable || retriesLeft === 0) return;
        const wait = error.retryAfterMs
          ? `, waiting at least ${Math.ceil(error.retryAfterMs / 1000)}s as the registry asked`
          : '';
        log.warn(
          `${what} failed (attempt ${attemptNumber} of ${policy.retries + 1}): ${errorMessage(error)}; retrying${wait}`,
        );
        if (error.retryAfterMs) await clock.sleep(Math.min(error.retryAfterMs, 60_000), signal);
      },
    },
  );
}
