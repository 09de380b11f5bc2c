import { afterEach, describe, expect, it } from 'vitest';
import {
  parseChallenge,
  parseRetryAfter,
  refreshTime,
  registryBaseUrl,
  RegistryHttp,
} from '../../../pipeline/adapters/registry-http.js';
import { systemClock } from '../../../pipeline/adapters/clock.js';
import { StreamLogger } from '../../../pipeline/log.js';
import { Redactor } from '../../../pipeline/redact.js';
import { BufferSink } from '../../helpers/runtime.js';
import { stubServer, type StubServer } from '../../helpers/http-server.js';

// Scripted answers, token auth included, from a local stand-in; registry-http-auth.test.ts has
// more of the token flow, and test/itg/token-auth.itg.test.ts the real token registry.
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  config: { digest: 'sha256:c' },
  layers: [],
});
let server: StubServer | undefined;
afterEach(async () => server?.close());

function client(host: string, credentials?: { username: string; password: string }, retries = 2) {
  const sink = new BufferSink();
  const registry = new RegistryHttp({
    host,
    credentials,
    retry: {
      policy: { retries, minDelayMs: 1, maxDelayMs: 5 },
      clock: systemClock,
      log: new StreamLogger({ sink, redactor: new Redactor() }),
    },
  });
  return { registry, sink };
}

describe('registry URLs and headers', () => {
  it.each([
    ['127.0.0.1:5000', 'http://127.0.0.1:5000'],
    ['localhost:5001', 'http://localhost:5001'],
    ['[::1]:5000', 'http://[::1]:5000'],
    ['docker.io', 'https://registry-1.docker.io'],
    ['ghcr.io', 'https://ghcr.io'],
    ['registry.example.com:5000', 'https://registry.example.com:5000'],
  ])('%s -> %s', (host, url) => {
    expect(registryBaseUrl(host)).toBe(url);
  });

  it('parses a Bearer challenge', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:mesos/x:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:mesos/x:pull',
      },
    });
    expect(parseChallenge('Basic realm="registry"').scheme).toBe('basic');
  });

  it.each([
    ['5', 5000],
    [' 0 ', 0],
    ['Fri, 27 Nov 2026 10:00:10 GMT', 10_000],
    ['soon', undefined],
    [null, undefined],
  ])('Retry-After %j -> %s ms', (value, ms) => {
    expect(parseRetryAfter(value, Date.parse('2026-11-27T10:00:00Z'))).toBe(ms);
  });
});

describe('when a Bearer token is replaced', () => {
  const sent = Date.parse('2026-11-27T10:00:00Z');
  const at = (seconds: number): string => new Date(sent + seconds * 1000).toISOString();
  it.each([
    ['Docker Hub: 300 s, issued now', { expires_in: 300, issued_at: at(0) }, 270],
    ['no issued_at: counted from the request', { expires_in: 300 }, 270],
    ['no expires_in: the spec default of 60 s', {}, 45],
    ['a short life: a quarter ahead', { expires_in: 4 }, 3],
    ['a cached token, issued 200 s before the request', { expires_in: 300, issued_at: at(-200) }, 70],
    ['issued_at ahead of this clock: counted from the request', { expires_in: 300, issued_at: at(100) }, 270],
    ['issued_at so old the token would be dead: clock skew', { expires_in: 300, issued_at: at(-400) }, 270],
    ['garbage', { expires_in: 'soon', issued_at: 'yesterday' }, 45],
  ])('%s', (_name, answer, seconds) => {
    expect((refreshTime(answer, sent) - sent) / 1000).toBe(seconds);
  });
});

describe('RegistryHttp against a stand-in', () => {
  it('gets a Bearer token with the credentials, once per scope, and never puts them in a URL', async () => {
    let tokenRequests = 0;
    server = await stubServer((req, res) => {
      if (req.url.startsWith('/token')) {
        tokenRequests += 1;
        const expected = `Basic ${Buffer.from('bot:s3cret-pw').toString('base64')}`;
        if (req.headers.authorization !== expected) return res.writeHead(401).end();
        return res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: 'tok-123' }));
      }
      if (req.headers.authorization !== 'Bearer tok-123') {
        return res
          .writeHead(401, { 'WWW-Authenticate': `Bearer realm="${server?.url}/token",service="stand-in"` })
          .end();
      }
      res
        .writeHead(200, {
          'Docker-Content-Digest': 'sha256:abc',
          'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json',
        })
        .end(req.method === 'HEAD' ? undefined : MANIFEST);
    });
    const { registry } = client(server.host, { username: 'bot', password: 's3cret-pw' });
    expect(await registry.digestOf('mesos/mini', 'master')).toBe('sha256:abc');
    expect(await registry.digestOf('mesos/mini', '1.11.x')).toBe('sha256:abc');
    const manifest = await registry.getManifest('mesos/mini', 'master');
    expect(manifest?.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(tokenRequests).toBe(1);
    const tokenUrl = new URL(server.requests.find((r) => r.url.startsWith('/token'))?.url ?? '', server.url);
    expect(tokenUrl.searchParams.get('scope')).toBe('repository:mesos/mini:pull');
    expect(tokenUrl.searchParams.get('service')).toBe('stand-in');
    for (const request of server.requests) expect(request.url).not.toContain('s3cret');
  });

  it('answers a Basic challenge with the credentials', async () => {
    server = await stubServer((req, res) => {
      if (!req.headers.authorization) return res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end();
      res.writeHead(200, { 'Docker-Content-Digest': 'sha256:def' }).end();
    });
    const { registry } = client(server.host, { username: 'u', password: 'p' });
    expect(await registry.digestOf('ns/img', 'tag')).toBe('sha256:def');
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('says credentials are needed when there are none, without retrying a 401', async () => {
    server = await stubServer((_req, res) =>
      res
        .writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"', 'Content-Type': 'application/json' })
        .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] })),
    );
    const { registry } = client(server.host);
    await expect(registry.getManifest('ns/img', 'tag')).rejects.toThrow(
      `manifest ${server.host}/ns/img:tag: 401 Unauthorized (UNAUTHORIZED: authentication required); ` +
        `credentials are needed: set REGISTRY_USERNAME and REGISTRY_PASSWORD, or docker login`,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 503 and a 429 with Retry-After, then succeeds', async () => {
    let calls = 0;
    server = await stubServer((_req, res) => {
      calls += 1;
      if (calls === 1)
        return res
          .writeHead(503, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'try later' }] }));
      if (calls === 2) return res.writeHead(429, { 'Retry-After': '0' }).end();
      res.writeHead(201, { 'Docker-Content-Digest': 'sha256:put' }).end();
    });
    const { registry, sink } = client(server.host);
    expect(
      await registry.putManifest('ns/img', 'master', {
        digest: '',
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        bytes: Buffer.from(MANIFEST),
      }),
    ).toBe('sha256:put');
    expect(calls).toBe(3);
    expect(sink.text).toMatch(
      /PUT manifest 127\.0\.0\.1:\d+\/ns\/img:master failed \(attempt 1 of 3\): .*503 Service Unavailable \(UNAVAILABLE: try later\); retrying/,
    );
    expect(server.requests[2]?.headers['content-type']).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(server.requests[2]?.body).toBe(MANIFEST);
  });

  it('gives up after its retries with the registry, the reference and the cause', async () => {
    server = await stubServer((_req, res) => res.writeHead(502).end());
    const { registry } = client(server.host, undefined, 1);
    await expect(registry.digestOf('ns/img', 'master')).rejects.toThrow(
      `manifest ${server.host}/ns/img:master: 502 Bad Gateway`,
    );
    expect(server.requests).toHaveLength(2);
  });

  it('follows tag list pages and uploads a blob at the location it is given', async () => {
    server = await stubServer((req, res) => {
      if (req.url === '/v2/ns/img/tags/list?n=1000')
        return res
          .writeHead(200, { Link: '</v2/ns/img/tags/list?n=1000&last=b>; rel="next"' })
          .end(JSON.stringify({ tags: ['b', 'a'] }));
      if (req.url.startsWith('/v2/ns/img/tags/list')) return res.writeHead(200).end(JSON.stringify({ tags: ['c'] }));
      if (req.method === 'POST') return res.writeHead(202, { Location: '/v2/ns/img/blobs/uploads/u1?_state=x' }).end();
      if (req.method === 'PUT') return res.writeHead(201).end();
      res.writeHead(404).end();
    });
    const { registry } = client(server.host);
    expect(await registry.listTags('ns/img')).toEqual(['a', 'b', 'c']);
    const digest = await registry.putBlob('ns/img', Buffer.from('{}'));
    expect(digest).toBe('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    const put = new URL(server.requests.at(-1)?.url ?? '', server.url);
    expect(put.pathname).toBe('/v2/ns/img/blobs/uploads/u1');
    expect(put.searchParams.get('_state')).toBe('x');
    expect(put.searchParams.get('digest')).toBe(digest);
  });
});
