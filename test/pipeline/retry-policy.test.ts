import { systemClock } from '../../pipeline/adapters/clock.js';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StreamLogger } from '../../pipeline/log.js';
import type { Clock } from '../../pipeline/ports.js';
import { Redactor } from '../../pipeline/redact.js';
import { RegistryError } from '../../pipeline/errors.js';
import { isNetworkError, isRetryableStatus, isTransientText, withRetry } from '../../pipeline/retry.js';
import { stubServer } from '../helpers/http-server.js';
import { fixtures } from '../helpers/paths.js';
import { BufferSink } from '../helpers/runtime.js';

describe('isRetryableStatus: statuses and registry error codes', () => {
  it.each<[number, string | undefined, boolean]>([
    [400, 'UNAVAILABLE', true],
    [400, 'TOOMANYREQUESTS', true],
    [400, 'UNKNOWN', true],
    [400, undefined, false],
    [404, undefined, false],
    [501, undefined, false],
    [505, undefined, false],
    // Credentials are wrong whatever the body says: never retried.
    [401, 'UNAVAILABLE', false],
    [403, 'TOOMANYREQUESTS', false],
    [401, 'UNKNOWN', false],
  ])('status %d code %s: %s', (status, code, retryable) => {
    expect(isRetryableStatus(status, code)).toBe(retryable);
  });
});

describe('isTransientText: what the engine writes when a registry call failed', () => {
  it.each([
    // A name that does not resolve will not resolve on the next try either.
    ['Head "https://r/v2/": dial tcp: lookup r: no such host', false],
    ['dial tcp 127.0.0.1:5000: connect: connection refused', true],
    ['dial tcp 10.0.0.1:443: connect: network is unreachable', true],
    ['net/http: request canceled (Client.Timeout exceeded)', true],
    ['read tcp: i/o timeout', true],
    ['context deadline exceeded: timed out', true],
    ['write: broken pipe', true],
    ['unexpected EOF', true],
    ['received unexpected HTTP status: 500 Internal Server Error', true],
    ['502 Bad Gateway', true],
    ['504 Gateway Timeout', true],
    ['service unavailable', true],
    ['error parsing HTTP 408 response body', true],
    ['http status 429', true],
    ['server error', true],
    ['Service Unavailable', true],
    ['EOFX is not a word', false],
    ['5030 layers', false],
    ['requested access to the resource is denied', false],
    ['name invalid: bad name', false],
    ['name_invalid', false],
    // Permanent, whatever else the line says.
    ['name invalid: 503', false],
    ['manifest invalid (timeout)', false],
    ['manifest_invalid', false],
    ['forbidden: 503', false],
    ['authentication required (timeout)', false],
    ['Unauthorised', false],
    ['repository name must be lowercase', false],
    ['layer already exists', false],
    ['', false],
  ])('%j -> %s', (text, transient) => {
    expect(isTransientText(text)).toBe(transient);
  });
});

/** An error with Node's `code`, as sockets and TLS raise them. */
const coded = (code: unknown, message = 'x'): Error => Object.assign(new Error(message), { code });

describe('isNetworkError', () => {
  it.each([
    'ECONNRESET',
    'ECONNREFUSED',
    'EPIPE',
    'ETIMEDOUT',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'UND_ERR_SOCKET',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
  ])('%s is a network failure', (code) => {
    expect(isNetworkError(coded(code))).toBe(true);
  });

  it.each<[string, unknown, boolean]>([
    ['another code', coded('ENOENT'), false],
    ['a numeric code', coded(104), false],
    ['socket hang up', new Error('socket hang up'), true],
    ['Other side closed', new Error('Other side closed'), true],
    ['fetch failed', new TypeError('fetch failed'), true],
    // Errors that cannot heal: retrying only makes the user wait (issue 16: ~24 s for a bad port).
    [
      'ENOTFOUND (no such host)',
      new TypeError('fetch failed', { cause: coded('ENOTFOUND', 'getaddrinfo ENOTFOUND r') }),
      false,
    ],
    ['a port fetch refuses', new TypeError('fetch failed', { cause: new Error('bad port') }), false],
    ['an unknown URL scheme', new TypeError('fetch failed', { cause: new Error('unknown scheme') }), false],
    [
      'a certificate that is not trusted',
      new TypeError('fetch failed', { cause: coded('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate') }),
      false,
    ],
    ['an invalid URL', coded('ERR_INVALID_URL', 'Invalid URL'), false],
    ['a plain error', new Error('bad JSON'), false],
    ['not an error', { code: 'ECONNRESET' }, false],
    ['a string', 'ECONNRESET', false],
    [
      'the cause three levels down',
      new Error('a', { cause: new Error('b', { cause: new Error('c', { cause: coded('ECONNRESET') }) }) }),
      true,
    ],
    [
      'the cause four levels down: too deep',
      new Error('a', {
        cause: new Error('b', { cause: new Error('c', { cause: new Error('d', { cause: coded('ECONNRESET') }) }) }),
      }),
      false,
    ],
  ])('%s -> %s', (_, error, network) => {
    expect(isNetworkError(error)).toBe(network);
  });
});

describe('isNetworkError: a certificate the next attempt would meet again is not retried', () => {
  // Every X509 verification code Node reports (its tls docs, "X509 certificate error codes"), as
  // fetch wraps it, and the TLS codes of its own; a registry with such a certificate would
  // otherwise be retried with backoff for every call of the run.
  it.each([
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
    // A server that does not send its intermediate certificate: the most common of them.
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'CERT_CHAIN_TOO_LONG',
    'CERT_REVOKED',
    'INVALID_CA',
    'PATH_LENGTH_EXCEEDED',
    'INVALID_PURPOSE',
    'CERT_UNTRUSTED',
    'CERT_REJECTED',
    'HOSTNAME_MISMATCH',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'ERR_INVALID_URL_SCHEME',
    // Plain HTTP on an HTTPS port.
    'ERR_SSL_WRONG_VERSION_NUMBER',
    'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  ])('%s', (code) => {
    expect(isNetworkError(new TypeError('fetch failed', { cause: coded(code, 'certificate problem') }))).toBe(false);
  });

  // Codes that only look like them stay what the rest of the chain says.
  it.each(['XCERT_HAS_EXPIRED', 'CERT_', 'UND_ERR_SSL_X'])('%s', (code) => {
    expect(isNetworkError(new TypeError('fetch failed', { cause: coded(code, 'certificate problem') }))).toBe(true);
  });
});

describe('withRetry', () => {
  /** A clock that records the waits asked of it and does not wait. */
  function recordingClock(): Clock & { slept: number[] } {
    const slept: number[] = [];
    return {
      slept,
      now: () => new Date(0),
      sleep: (ms) => (slept.push(ms), Promise.resolve()),
      after: (ms, fire) => systemClock.after(ms, fire),
    };
  }
  function context(retries = 2) {
    const sink = new BufferSink();
    const clock = recordingClock();
    const log = new StreamLogger({ sink, redactor: new Redactor() });
    return { sink, clock, ctx: { policy: { retries, minDelayMs: 1, maxDelayMs: 2 }, log, clock } };
  }
  const failing = (errors: (Error | undefined)[]) => {
    let calls = 0;
    return {
      calls: () => calls,
      attempt: () => {
        const error = errors[Math.min(calls, errors.length - 1)];
        calls += 1;
        return error === undefined ? Promise.resolve('ok') : Promise.reject(error);
      },
    };
  };

  it.each<[string, number | undefined, string, number[]]>([
    ['Retry-After of 1.5 s', 1500, '; retrying, waiting at least 2s as the registry asked\n', [1500]],
    [
      'Retry-After of 2 minutes, capped',
      120_000,
      '; retrying, waiting at least 120s as the registry asked\n',
      [60_000],
    ],
    ['no Retry-After', undefined, '; retrying\n', []],
  ])('waits at least the registry asked: %s', async (_, retryAfterMs, said, slept) => {
    const { sink, clock, ctx } = context();
    const run = failing([new RegistryError('push', '429', { retryable: true, retryAfterMs }), undefined]);
    await expect(withRetry('push x', run.attempt, ctx)).resolves.toBe('ok');
    expect(run.calls()).toBe(2);
    expect(sink.text).toContain(`warning: push x failed (attempt 1 of 3): 429${said}`);
    expect(clock.slept).toEqual(slept);
  });

  it('does not announce a retry after the last attempt', async () => {
    const { sink, ctx } = context(1);
    const run = failing([new RegistryError('push', '503', { retryable: true })]);
    await expect(withRetry('push x', run.attempt, ctx)).rejects.toThrow('503');
    expect(run.calls()).toBe(2);
    expect(sink.text.match(/warning/g)).toHaveLength(1);
    expect(sink.text).toContain('(attempt 1 of 2)');
  });

  it.each<[string, Error]>([
    ['an error that is not a registry error', new Error('ECONNRESET')],
    ['a registry error marked permanent', new RegistryError('push', '401', { retryable: false })],
  ])('neither retries nor warns about %s', async (_, error) => {
    const { sink, clock, ctx } = context();
    const run = failing([error]);
    await expect(withRetry('push x', run.attempt, ctx)).rejects.toBe(error);
    expect(run.calls()).toBe(1);
    expect(sink.text).toBe('');
    expect(clock.slept).toEqual([]);
  });

  it('keeps what a registry error says', () => {
    const error = new RegistryError('push', 'boom', { retryable: true, retryAfterMs: 5, status: 503, cause: 'x' });
    expect({ retryable: error.retryable, after: error.retryAfterMs, status: error.status, cause: error.cause }).toEqual(
      {
        retryable: true,
        after: 5,
        status: 503,
        cause: 'x',
      },
    );
  });
});

describe('isNetworkError on what fetch really throws', () => {
  const thrown = async (url: string): Promise<unknown> =>
    fetch(url, { signal: AbortSignal.timeout(5000) }).then(
      () => undefined,
      (error: unknown) => error,
    );

  it('a bad port: not retried', async () => {
    expect(isNetworkError(await thrown('http://127.0.0.1:6000/v2/'))).toBe(false);
  });

  it('a host name that does not exist: not retried', async () => {
    expect(isNetworkError(await thrown('http://no-such-host.invalid/v2/'))).toBe(false);
  });

  it('a refused connection: retried', async () => {
    expect(isNetworkError(await thrown('http://127.0.0.1:2/v2/'))).toBe(true);
  });

  // An HTTPS server for one test, with a certificate no trust store holds (test/fixtures/tls).
  const untrusted = async (test: (url: string) => Promise<void>): Promise<void> => {
    const tls = path.join(fixtures, 'tls');
    const server = https.createServer(
      { key: readFileSync(path.join(tls, 'leaf.key')), cert: readFileSync(path.join(tls, 'leaf.crt')) },
      (_, response) => response.end('{}'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await test(`https://127.0.0.1:${(server.address() as AddressInfo).port}/v2/`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  };

  it('a certificate signed by an unknown authority (UNABLE_TO_VERIFY_LEAF_SIGNATURE): not retried', async () => {
    await untrusted(async (url) => {
      const error = await thrown(url);
      expect((error as Error).cause).toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
      expect(isNetworkError(error)).toBe(false);
    });
  });

  it('https to a plain HTTP port (ERR_SSL_*): not retried', async () => {
    const plain = await stubServer((_, response) => response.end('{}'));
    try {
      const error = await thrown(`https://${plain.host}/v2/`);
      expect((error as Error).cause).toMatchObject({ code: expect.stringMatching(/^ERR_SSL_/) });
      expect(isNetworkError(error)).toBe(false);
    } finally {
      await plain.close();
    }
  });
});
