import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy, isBlobUploadWithBody, isManifestPut } from './fault-proxy.js';

// The fault proxy is the instrument of the fault scenarios: check it does what it says, against a
// stand-in upstream that echoes what it received.

let upstream: http.Server;
let seen: { method: string; url: string; host: string; authorization: string | undefined; body: string }[] = [];

beforeAll(async () => {
  upstream = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({
        method: request.method ?? '',
        url: request.url ?? '',
        host: request.headers.host ?? '',
        authorization: request.headers.authorization,
        body: Buffer.concat(chunks).toString(),
      });
      response.writeHead(201, { 'Content-Type': 'text/plain' });
      response.end('stored');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

const upstreamHost = (): string => `127.0.0.1:${(upstream.address() as AddressInfo).port}`;

async function put(
  proxy: FaultProxy,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Headers } | { error: string }> {
  try {
    const response = await fetch(`http://${proxy.host}${path}`, { method: 'PUT', body, headers });
    return { status: response.status, text: await response.text(), headers: response.headers };
  } catch (error) {
    return { error: String((error as Error).cause ?? error) };
  }
}

describe('FaultProxy', () => {
  it(
    'forwards untouched, keeping the Host header, and records each request with the manifest digest it ' + 'carried',
    async () => {
      seen = [];
      const proxy = await FaultProxy.start({ upstream: upstreamHost() });
      try {
        expect(await put(proxy, '/v2/ns/app/manifests/1.7.x', '{"m":1}')).toMatchObject({
          status: 201,
          text: 'stored',
        });
        expect(seen).toEqual([
          {
            method: 'PUT',
            url: '/v2/ns/app/manifests/1.7.x',
            host: proxy.host,
            authorization: undefined,
            body: '{"m":1}',
          },
        ]);
        expect(proxy.requests).toMatchObject([
          {
            index: 1,
            method: 'PUT',
            path: '/v2/ns/app/manifests/1.7.x',
            status: 201,
            manifestDigest: `sha256:${createHash('sha256').update('{"m":1}').digest('hex')}`,
          },
        ]);
      } finally {
        await proxy.close();
      }
    },
  );

  it('answers a status with Retry-After instead of forwarding, for as many matching requests as asked', async () => {
    seen = [];
    const proxy = await FaultProxy.start({ upstream: upstreamHost() });
    proxy.setRules([
      {
        name: '429',
        match: isManifestPut({ tag: '1.7.x' }),
        fault: { kind: 'status', status: 429, retryAfterSeconds: 3 },
        times: 2,
      },
    ]);
    try {
      const first = await put(proxy, '/v2/ns/app/manifests/1.7.x', 'x');
      expect(first).toMatchObject({ status: 429 });
      expect('headers' in first && first.headers.get('retry-after')).toBe('3');
      expect('text' in first && JSON.parse(first.text)).toMatchObject({ errors: [{ code: 'TOOMANYREQUESTS' }] });
      expect(await put(proxy, '/v2/ns/app/manifests/1.7.x-2026-11-27', 'x')).toMatchObject({ status: 201 });
      expect(await put(proxy, '/v2/ns/app/manifests/1.7.x', 'x')).toMatchObject({ status: 429 });
      expect(await put(proxy, '/v2/ns/app/manifests/1.7.x', 'x')).toMatchObject({ status: 201 });
      expect(proxy.faulted('429')).toHaveLength(2);
      expect(seen).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });

  it('answers an injected status only once the whole request body is in, so the client sees the status', async () => {
    // A client still writing a layer when the answer comes sees a broken pipe, not the status: the
    // fault scenarios could then not say which failure the run reported (a CI run did see that).
    const proxy = await FaultProxy.start({ upstream: upstreamHost() });
    proxy.setRules([{ name: '503', match: isBlobUploadWithBody, fault: { kind: 'status', status: 503 } }]);
    try {
      const events: string[] = [];
      const answered = new Promise<number>((resolve, reject) => {
        const request = http.request(
          `http://${proxy.host}/v2/ns/app/blobs/uploads/123?digest=sha256:0`,
          { method: 'PUT', headers: { 'Content-Length': '2000' } },
          (response) => {
            events.push('answer');
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        request.on('error', reject);
        request.write('x'.repeat(1000));
        setTimeout(() => {
          events.push('rest of the body');
          request.end('y'.repeat(1000));
        }, 300);
      });
      expect(await answered).toBe(503);
      expect(events).toEqual(['rest of the body', 'answer']);
    } finally {
      await proxy.close();
    }
  });

  it('resets the connection in the middle of a request body', async () => {
    const proxy = await FaultProxy.start({ upstream: upstreamHost() });
    proxy.setRules([{ name: 'reset', match: isBlobUploadWithBody, fault: { kind: 'reset' } }]);
    try {
      expect(await put(proxy, '/v2/ns/app/blobs/uploads/123?digest=sha256:0', 'x'.repeat(100_000))).toMatchObject({
        error: expect.stringMatching(/ECONNRESET|other side closed|socket/),
      });
    } finally {
      await proxy.close();
    }
  });

  it('lets the upstream act but holds its answer back', async () => {
    seen = [];
    const proxy = await FaultProxy.start({ upstream: upstreamHost() });
    proxy.setRules([{ name: 'late', match: () => true, fault: { kind: 'delay', ms: 500 } }]);
    try {
      const started = Date.now();
      const answer = put(proxy, '/v2/ns/app/manifests/1.7.x', 'x');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seen).toHaveLength(1);
      expect(await answer).toMatchObject({ status: 201 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    } finally {
      await proxy.close();
    }
  });

  it('demands credentials like an htpasswd registry and does not pass them on', async () => {
    seen = [];
    const proxy = await FaultProxy.start({ upstream: upstreamHost(), auth: { username: 'u', password: 'p' } });
    try {
      const refused = await put(proxy, '/v2/ns/app/manifests/1.7.x', 'x');
      expect(refused).toMatchObject({ status: 401 });
      expect('headers' in refused && refused.headers.get('www-authenticate')).toBe('Basic realm="fault-proxy"');
      expect(
        await put(proxy, '/v2/ns/app/manifests/1.7.x', 'x', {
          Authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
        }),
      ).toMatchObject({ status: 201 });
      expect(seen.map((request) => request.authorization)).toEqual([undefined]);
    } finally {
      await proxy.close();
    }
  });

  it('goes away entirely and comes back on the same port', async () => {
    const proxy = await FaultProxy.start({ upstream: upstreamHost() });
    try {
      const host = proxy.host;
      await proxy.down();
      expect(await put(proxy, '/v2/', 'x')).toMatchObject({ error: expect.stringMatching(/ECONNREFUSED/) });
      await proxy.up();
      expect(proxy.host).toBe(host);
      expect(await put(proxy, '/v2/', 'x')).toMatchObject({ status: 201 });
    } finally {
      await proxy.close();
    }
  });
});
