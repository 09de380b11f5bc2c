import { describe, expect, it } from 'vitest';
import { StreamLogger } from '../../pipeline/log.js';
import { Redactor } from '../../pipeline/redact.js';
import { RegistryError } from '../../pipeline/errors.js';
import { isNetworkError, isRetryableStatus, isTransientText, withRetry } from '../../pipeline/retry.js';
import { BufferSink } from '../helpers/runtime.js';
import { systemClock } from '../../pipeline/adapters/clock.js';

describe('what is worth retrying', () => {
  it.each([
    [408, undefined, true],
    [429, undefined, true],
    [500, undefined, true],
    [502, undefined, true],
    [503, undefined, true],
    [504, undefined, true],
    [400, 'BLOB_UPLOAD_INVALID', true],
    [400, 'DIGEST_INVALID', false],
    [401, undefined, false],
    [403, 'DENIED', false],
    [404, 'MANIFEST_UNKNOWN', false],
    [400, 'NAME_INVALID', false],
    [400, 'MANIFEST_INVALID', false],
  ])('status %d code %s: %s', (status, code, retryable) => {
    expect(isRetryableStatus(status, code)).toBe(retryable);
  });

  it.each([
    ['received unexpected HTTP status: 503 Service Unavailable', true],
    ['toomanyrequests: too many requests', true],
    ['read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer', true],
    ['Put "http://127.0.0.1:5000/v2/x/blobs/uploads/1": EOF', true],
    ['net/http: TLS handshake timeout', true],
    [
      'Patch "http://127.0.0.1:1/v2/x/blobs/uploads/u": write tcp 127.0.0.1:2->127.0.0.1:1: use of closed network connection',
      true,
    ],
    ['http: server closed idle connection', true],
    ['blob upload invalid', true],
    ['no basic auth credentials', false],
    ['unauthorized: authentication required', false],
    ['denied: requested access to the resource is denied', false],
    ['unauthorized: 503 in the message does not make it retryable', false],
    ['manifest invalid: manifest invalid', false],
    ['invalid reference format', false],
  ])('%s -> %s', (text, retryable) => {
    expect(isTransientText(text)).toBe(retryable);
  });

  it.each([
    [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), true],
    [
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      }),
      true,
    ],
    [new DOMException('The operation was aborted due to timeout', 'TimeoutError'), true],
    [new Error('Unexpected token < in JSON'), false],
  ])('network error %s -> %s', (error, retryable) => {
    expect(isNetworkError(error)).toBe(retryable);
  });
});

describe('withRetry', () => {
  const policy = { retries: 3, minDelayMs: 1, maxDelayMs: 5 };
  const context = () => {
    const sink = new BufferSink();
    return { sink, ctx: { policy, clock: systemClock, log: new StreamLogger({ sink, redactor: new Redactor() }) } };
  };

  it('retries a retryable failure, logs each retry, and returns the result', async () => {
    const { sink, ctx } = context();
    let calls = 0;
    const result = await withRetry(
      'push x',
      () => {
        calls += 1;
        if (calls < 3) throw new RegistryError('push', `503 number ${calls}`, { retryable: true });
        return Promise.resolve('done');
      },
      ctx,
    );
    expect(result).toBe('done');
    expect(calls).toBe(3);
    expect(sink.text).toMatch(
      /warning: push x failed \(attempt 1 of 4\): 503 number 1; retrying\n.*attempt 2 of 4\): 503 number 2/,
    );
  });

  it('gives up after the bound with the last error', async () => {
    const { ctx } = context();
    let calls = 0;
    await expect(
      withRetry(
        'push x',
        () => {
          calls += 1;
          throw new RegistryError('push', `still 503 (${calls})`, { retryable: true });
        },
        ctx,
      ),
    ).rejects.toThrow('still 503 (4)');
    expect(calls).toBe(4);
  });

  it('never retries a permanent failure', async () => {
    const { sink, ctx } = context();
    let calls = 0;
    await expect(
      withRetry(
        'push x',
        () => {
          calls += 1;
          throw new RegistryError('push', '401 Unauthorized', { retryable: false, status: 401 });
        },
        ctx,
      ),
    ).rejects.toThrow('401 Unauthorized');
    expect(calls).toBe(1);
    expect(sink.text).toBe('');
  });

  it('waits at least Retry-After', async () => {
    const { sink, ctx } = context();
    let calls = 0;
    const started = Date.now();
    await withRetry(
      'put x',
      () => {
        calls += 1;
        if (calls === 1)
          throw new RegistryError('registry', '429 Too Many Requests', { retryable: true, retryAfterMs: 300 });
        return Promise.resolve('ok');
      },
      ctx,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(sink.text).toContain('waiting at least 1s as the registry asked');
  });

  it('stops at once when the run is aborted while it waits before the next attempt', async () => {
    const { ctx } = context();
    const controller = new AbortController();
    let calls = 0;
    const started = Date.now();
    const running = withRetry(
      'push x',
      () => {
        calls += 1;
        // The abort comes while withRetry waits its 60 s before the second attempt.
        if (calls === 1) setTimeout(() => controller.abort(new Error('interrupted by SIGTERM')), 20);
        throw new RegistryError('push', '503', { retryable: true });
      },
      { ...ctx, policy: { retries: 1, minDelayMs: 60_000, maxDelayMs: 60_000 }, signal: controller.signal },
    );
    await expect(running).rejects.toThrow('interrupted by SIGTERM');
    expect(calls).toBe(1);
    // Far below the 60 s wait: the wait itself ended with the signal.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('stops retrying at once when the run is aborted', async () => {
    const { ctx } = context();
    const controller = new AbortController();
    let calls = 0;
    const running = withRetry(
      'push x',
      () => {
        calls += 1;
        if (calls === 1) controller.abort(new Error('interrupted by SIGTERM'));
        throw new RegistryError('push', '503', { retryable: true });
      },
      { ...ctx, policy: { retries: 5, minDelayMs: 200, maxDelayMs: 200 }, signal: controller.signal },
    );
    await expect(running).rejects.toThrow();
    expect(calls).toBe(1);
  });
});
