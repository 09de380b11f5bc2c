import { systemClock } from '../../../pipeline/adapters/clock.js';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryHttp } from '../../../pipeline/adapters/registry-http.js';
import { StreamLogger } from '../../../pipeline/log.js';
import type { Clock, Credentials } from '../../../pipeline/ports.js';
import { Redactor } from '../../../pipeline/redact.js';
import { BufferSink } from '../../helpers/runtime.js';
import { stubServer, type Recorded, type StubServer } from '../../helpers/http-server.js';

// How RegistryHttp authenticates, against a local stand-in that plays a registry and its token
// service (Docker Hub's flow) or an htpasswd registry. The stand-in judges a token's age by the
// same manual clock the client is given, so hours can pass in a millisecond.

const USER: Credentials = { username: 'bot', password: 's3cret-pw' };
const BASIC = `Basic ${Buffer.from('bot:s3cret-pw').toString('base64')}`;
const servers: StubServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

class ManualClock implements Clock {
  at = Date.parse('2026-11-27T10:00:00Z');
  now(): Date {
    return new Date(this.at);
  }
  advance(seconds: number): void {
    this.at += seconds * 1000;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20)));
  }
  after(ms: number, fire: () => void): () => void {
    return systemClock.after(ms, fire);
  }
}

/** Resolves once `count` callers wait: holds answers back until requests overlap. */
function barrier(count: number): () => Promise<void> {
  const waiting: (() => void)[] = [];
  return () =>
    new Promise((resolve) => {
      waiting.push(resolve);
      if (waiting.length >= count) for (const release of waiting.splice(0)) release();
    });
}

interface Issued {
  token: string;
  scope: string;
  issuedAt: number;
}

interface TokenStandIn {
  host: string;
  url: string;
  issued: Issued[];
  /** Registry requests (not token requests), with what they carried. */
  calls: Recorded[];
  tokenRequests: Recorded[];
  /** Forget every token issued so far, as a registry with a new signing key would. */
  revokeAll(): void;
}

/**
 * A registry whose token service issues `tok-N` for `lifetime` seconds of `clock` time. `hold401`
 * delays each 401 until it resolves; `tokenAnswer` replaces the token service's answer.
 */
async function tokenRegistry(
  clock: ManualClock,
  options: {
    lifetime?: number;
    issuedAt?: (now: number) => string | undefined;
    hold401?: () => Promise<void>;
    tokenAnswer?: (request: Recorded) => { status: number; body: string } | undefined;
    grants?: (scope: string) => string;
  } = {},
): Promise<TokenStandIn> {
  const lifetime = options.lifetime ?? 300;
  const issued: Issued[] = [];
  const calls: Recorded[] = [];
  const tokenRequests: Recorded[] = [];
  let revokedBefore = 0;
  const server = await stubServer((request, response) => {
    if (request.url.startsWith('/token')) {
      tokenRequests.push(request);
      const scripted = options.tokenAnswer?.(request);
      if (scripted) return response.writeHead(scripted.status).end(scripted.body);
      if (request.headers.authorization !== BASIC) return response.writeHead(401).end('{"details":"bad credentials"}');
      const scope = new URL(request.url, 'http://x').searchParams.get('scope') ?? '';
      const token = `tok-${issued.length + 1}`;
      issued.push({ token, scope: options.grants?.(scope) ?? scope, issuedAt: clock.at });
      const issuedAt = options.issuedAt ? options.issuedAt(clock.at) : new Date(clock.at).toISOString();
      return response
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ token, expires_in: lifetime, ...(issuedAt ? { issued_at: issuedAt } : {}) }));
    }
    calls.push(request);
    const repository = /^\/v2\/(.+?)\/(manifests|tags|blobs)\//.exec(request.url)?.[1] ?? '';
    const wanted = request.method === 'GET' || request.method === 'HEAD' ? 'pull' : 'pull,push';
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const index = issued.findIndex((entry) => entry.token === bearer);
    const entry = issued[index];
    const valid =
      entry !== undefined &&
      index >= revokedBefore &&
      clock.at < entry.issuedAt + lifetime * 1000 &&
      entry.scope.startsWith(`repository:${repository}:`) &&
      entry.scope.slice(`repository:${repository}:`.length).includes(wanted);
    if (!valid) {
      const scope = `repository:${repository}:${wanted}`;
      const challenge = `Bearer realm="${server.url}/token",service="stand-in",scope="${scope}"`;
      const send = (): void => {
        response.writeHead(401, { 'WWW-Authenticate': challenge, 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      };
      return void (options.hold401 ? options.hold401().then(send) : send());
    }
    response
      .writeHead(200, { 'Docker-Content-Digest': 'sha256:abc', 'Content-Type': 'application/json' })
      .end(request.method === 'HEAD' ? undefined : JSON.stringify({ tags: ['master'] }));
  });
  servers.push(server);
  return {
    host: server.host,
    url: server.url,
    issued,
    calls,
    tokenRequests,
    revokeAll: () => (revokedBefore = issued.length),
  };
}

function client(host: string, clock: Clock, credentials: Credentials | undefined = USER, retries = 2) {
  const sink = new BufferSink();
  const registry = new RegistryHttp({
    host,
    credentials,
    retry: {
      policy: { retries, minDelayMs: 1, maxDelayMs: 5 },
      clock,
      log: new StreamLogger({ sink, redactor: new Redactor() }),
    },
  });
  return { registry, sink };
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const bearerOf = (request: Recorded | undefined): string | undefined =>
  /^Bearer (.+)$/.exec(request?.headers.authorization ?? '')?.[1];

describe('RegistryHttp with concurrent requests', () => {
  it('answers two 401s that arrive together with a Basic registry, for both requests', async () => {
    const both401 = barrier(2);
    const server = await stubServer((request, response) => {
      if (request.headers.authorization === BASIC)
        return response.writeHead(200, { 'Docker-Content-Digest': 'sha256:def' }).end();
      void both401().then(() => response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end());
    });
    servers.push(server);
    const { registry } = client(server.host, new ManualClock());
    await expect(
      Promise.all([registry.digestOf('ns/base', '1.7.x'), registry.digestOf('ns/app', '1.7.x')]),
    ).resolves.toEqual(['sha256:def', 'sha256:def']);
  });

  it('shares one token fetch among concurrent requests for the same scope', async () => {
    const clock = new ManualClock();
    const stand = await tokenRegistry(clock, { hold401: barrier(3) });
    const { registry } = client(stand.host, clock);
    const digests = await Promise.all(['master', '1.7.x', '1.8.x'].map((tag) => registry.digestOf('ns/app', tag)));
    expect(digests).toEqual(['sha256:abc', 'sha256:abc', 'sha256:abc']);
    expect(stand.issued.map((entry) => entry.scope)).toEqual(['repository:ns/app:pull']);
  });

  it('uses the token another request fetched when its own 401 arrives later', async () => {
    const clock = new ManualClock();
    let first = true;
    let releaseLate: () => void = () => undefined;
    const late = new Promise<void>((resolve) => (releaseLate = resolve));
    // The first request's 401 is held back until the second request has got its token and its answer.
    const stand = await tokenRegistry(clock, {
      hold401: () => {
        if (!first) return Promise.resolve();
        first = false;
        return late;
      },
    });
    const { registry } = client(stand.host, clock);
    const held = registry.digestOf('ns/app', '1.7.x');
    await new Promise((resolve) => setTimeout(resolve, 30));
    await expect(registry.digestOf('ns/app', 'master')).resolves.toBe('sha256:abc');
    releaseLate();
    await expect(held).resolves.toBe('sha256:abc');
    expect(stand.issued).toHaveLength(1);
  });
});

describe('RegistryHttp with tokens that expire', () => {
  it('fetches a new token before the cached one expires, and never sends an expired one', async () => {
    const clock = new ManualClock();
    const stand = await tokenRegistry(clock, { lifetime: 300 });
    const { registry } = client(stand.host, clock);
    expect(await registry.digestOf('ns/app', 'master')).toBe('sha256:abc');
    // A compile later: the token died long ago.
    clock.advance(3600);
    expect(await registry.digestOf('ns/app', 'master')).toBe('sha256:abc');
    expect(stand.issued).toHaveLength(2);
    // Shortly before the new one expires, it is replaced ahead of time.
    clock.advance(295);
    expect(await registry.digestOf('ns/app', 'master')).toBe('sha256:abc');
    expect(stand.issued).toHaveLength(3);
    // No request was sent with a token the registry had to refuse.
    const sentWithToken = stand.calls.filter((call) => bearerOf(call) !== undefined).map(bearerOf);
    expect(sentWithToken).toEqual(['tok-1', 'tok-2', 'tok-3']);
  });

  it('keeps a token for its lifetime and uses it for every request of its scope', async () => {
    const clock = new ManualClock();
    const stand = await tokenRegistry(clock, { lifetime: 300 });
    const { registry } = client(stand.host, clock);
    for (let minute = 0; minute < 4; minute += 1) {
      expect(await registry.digestOf('ns/app', 'master')).toBe('sha256:abc');
      clock.advance(60);
    }
    expect(stand.issued).toHaveLength(1);
  });

  it('counts the lifetime from issued_at when the token service says it was issued earlier', async () => {
    const clock = new ManualClock();
    // A token service that hands out a cached token, issued 250 s ago, still valid for 50 s.
    const stand = await tokenRegistry(clock, {
      lifetime: 300,
      issuedAt: (now) => new Date(now - 250_000).toISOString(),
    });
    const { registry } = client(stand.host, clock);
    await registry.digestOf('ns/app', 'master');
    clock.advance(60);
    await registry.digestOf('ns/app', 'master');
    expect(stand.issued).toHaveLength(2);
  });

  it('drops a cached token the registry refuses and authenticates once more, for that request', async () => {
    const clock = new ManualClock();
    const stand = await tokenRegistry(clock);
    const { registry } = client(stand.host, clock);
    await registry.digestOf('ns/app', 'master');
    stand.revokeAll();
    expect(await registry.digestOf('ns/app', 'master')).toBe('sha256:abc');
    expect(stand.issued).toHaveLength(2);
    expect(stand.calls.map(bearerOf)).toEqual([undefined, 'tok-1', 'tok-1', 'tok-2']);
  });

  it('gives up when a token fetched for the request is refused, naming the scope, without retrying', async () => {
    const clock = new ManualClock();
    // The account may pull but not push.
    const stand = await tokenRegistry(clock, { grants: (scope) => scope.replace(/:pull,push$/, ':pull') });
    const { registry, sink } = client(stand.host, clock, USER, 4);
    await expect(
      registry.putManifest('ns/app', 'master', { digest: '', mediaType: 'application/json', bytes: Buffer.from('{}') }),
    ).rejects.toThrow(
      new RegExp(
        `^${escape(
          `manifest ${stand.host}/ns/app:master: 401 Unauthorized (UNAUTHORIZED: authentication required); ` +
            `the token service ${stand.host} granted a token for repository:ns/app:pull,push ` +
            'that the registry refused',
        )}`,
      ),
    );
    expect(stand.issued).toHaveLength(1);
    expect(sink.text).not.toContain('retrying');
  });

  it('gives up on a 401 to a PUT that carried Basic credentials, without retrying', async () => {
    // An htpasswd registry (like the fault proxy of test/itg) that took the credentials for a
    // read, then refuses a manifest PUT without a new challenge: not sent again, not retried.
    const server = await stubServer((request, response) => {
      if (request.headers.authorization !== BASIC)
        return response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end();
      if (request.method === 'PUT')
        return response
          .writeHead(401, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'refused' }] }));
      response.writeHead(200, { 'Docker-Content-Digest': 'sha256:def' }).end();
    });
    servers.push(server);
    const { registry, sink } = client(server.host, new ManualClock(), USER, 4);
    expect(await registry.digestOf('ns/app', '1.7.x')).toBe('sha256:def');
    await expect(
      registry.putManifest('ns/app', '1.7.0', { digest: '', mediaType: 'application/json', bytes: Buffer.from('{}') }),
    ).rejects.toThrow(new RegExp(`^${escape(`manifest ${server.host}/ns/app:1.7.0: 401 Unauthorized`)}`));
    expect(server.requests.filter((request) => request.method === 'PUT')).toHaveLength(1);
    expect(sink.text).not.toContain('retrying');
  });

  it('gives the cleanup client tokens of its own, not the run client’s', async () => {
    const clock = new ManualClock();
    const stand = await tokenRegistry(clock);
    const { registry } = client(stand.host, clock);
    await registry.digestOf('ns/app', 'master');
    // The run's token is dead by the time the rollback runs, though the clock does not say so.
    stand.revokeAll();
    const cleanup = registry.forCleanup(5000);
    const before = stand.calls.length;
    expect(await cleanup.digestOf('ns/app', 'master')).toBe('sha256:abc');
    expect(stand.calls.slice(before).map(bearerOf)).not.toContain('tok-1');
    expect(stand.issued).toHaveLength(2);
  });
});

describe('RegistryHttp when the token service fails', () => {
  it('does not retry a 401 from the token service, and says the credentials were refused', async () => {
    const clock = new ManualClock();
    const stand = await tokenRegistry(clock);
    const { registry, sink } = client(stand.host, clock, { username: 'bot', password: 'wrong' }, 4);
    await expect(registry.digestOf('ns/app', 'master')).rejects.toThrow(
      `manifest ${stand.host}/ns/app:master: the token service ${stand.host} refused the credentials (401 ` +
        `Unauthorized); check REGISTRY_USERNAME and REGISTRY_PASSWORD`,
    );
    expect(stand.tokenRequests).toHaveLength(1);
    expect(stand.calls).toHaveLength(1);
    expect(sink.text).not.toContain('retrying');
    expect(sink.text).not.toContain('wrong');
  });

  it('retries a token service that answers 503, and then succeeds', async () => {
    const clock = new ManualClock();
    let failures = 2;
    const stand = await tokenRegistry(clock, {
      tokenAnswer: () => (failures-- > 0 ? { status: 503, body: 'busy' } : undefined),
    });
    const { registry, sink } = client(stand.host, clock, USER, 3);
    expect(await registry.digestOf('ns/app', 'master')).toBe('sha256:abc');
    expect(sink.text.match(/the token service .* answered 503 Service Unavailable; retrying/g)).toHaveLength(2);
  });

  it('fails clearly when the token service answers without a token, without retrying', async () => {
    const clock = new ManualClock();
    const stand = await tokenRegistry(clock, { tokenAnswer: () => ({ status: 200, body: '<html>sign in</html>' }) });
    const { registry } = client(stand.host, clock, USER, 4);
    await expect(registry.digestOf('ns/app', 'master')).rejects.toThrow(
      `manifest ${stand.host}/ns/app:master: the token service ${stand.host} answered without a token`,
    );
    expect(stand.tokenRequests).toHaveLength(1);
  });

  it('retries a token service it cannot reach, then names it', async () => {
    const clock = new ManualClock();
    const gone = await stubServer(() => undefined);
    const realm = `${gone.url}/token`;
    await gone.close();
    const server = await stubServer((_request, response) =>
      response.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${realm}",service="s"` }).end(),
    );
    servers.push(server);
    const { registry, sink } = client(server.host, clock, USER, 2);
    await expect(registry.digestOf('ns/app', 'master')).rejects.toThrow(
      new RegExp(`manifest ${server.host}/ns/app:master: cannot reach the token service ${gone.host}: fetch failed`),
    );
    expect(sink.text.match(/retrying/g)).toHaveLength(2);
    // The registry was asked once; the retries go straight to the token service it named.
    expect(server.requests).toHaveLength(1);
  });

  it('sends no credentials to a token service on plain HTTP away from this machine', async () => {
    const server = await stubServer((_request, response) =>
      response.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="http://auth.example.com/token",service="s"' }).end(),
    );
    servers.push(server);
    const { registry } = client(server.host, new ManualClock(), USER, 4);
    await expect(registry.digestOf('ns/app', 'master')).rejects.toThrow(
      `manifest ${server.host}/ns/app:master: the token service http://auth.example.com/token is not HTTPS; credentials are sent only over HTTPS or on this machine`,
    );
    expect(server.requests).toHaveLength(1);
  });
});

describe('RegistryHttp sends credentials only to the registry’s own origin', () => {
  // Two real servers on two ports: the registry, and another origin it points at.
  async function registryPointingElsewhere(scheme: 'basic' | 'bearer'): Promise<{
    registry: StubServer;
    elsewhere: StubServer;
  }> {
    const elsewhere = await stubServer((request, response) => {
      if (request.url.startsWith('/tags')) return response.writeHead(200).end(JSON.stringify({ tags: ['z'] }));
      if (request.url.startsWith('/blob')) return response.writeHead(200).end('blob-bytes');
      response.writeHead(201).end();
    });
    servers.push(elsewhere);
    const registry = await stubServer((request, response) => {
      if (request.url.startsWith('/token'))
        return response.writeHead(200).end(JSON.stringify({ token: 'tok-1', expires_in: 300 }));
      const expected = scheme === 'basic' ? BASIC : 'Bearer tok-1';
      if (request.headers.authorization !== expected) {
        const challenge =
          scheme === 'basic' ? 'Basic realm="r"' : `Bearer realm="${registry.url}/token",service="stand-in"`;
        return response.writeHead(401, { 'WWW-Authenticate': challenge }).end();
      }
      if (request.method === 'POST')
        return response.writeHead(202, { Location: `${elsewhere.url}/upload/u1?_state=x` }).end();
      if (request.url.startsWith('/v2/ns/app/tags/list'))
        return response
          .writeHead(200, { Link: `<${elsewhere.url}/tags?last=a>; rel="next"` })
          .end(JSON.stringify({ tags: ['a'] }));
      if (request.url.startsWith('/v2/ns/app/blobs/'))
        return response.writeHead(307, { Location: `${elsewhere.url}/blob/1` }).end();
      response.writeHead(404).end();
    });
    servers.push(registry);
    return { registry, elsewhere };
  }

  it.each(['basic', 'bearer'] as const)(
    'an upload Location, a Link and a redirect on another port get no Authorization (%s)',
    async (scheme) => {
      const { registry: server, elsewhere } = await registryPointingElsewhere(scheme);
      const { registry } = client(server.host, new ManualClock());
      await registry.putBlob('ns/app', Buffer.from('{}'));
      expect(await registry.listTags('ns/app')).toEqual(['a', 'z']);
      expect((await registry.getBlob('ns/app', 'sha256:0')).toString()).toBe('blob-bytes');
      expect(elsewhere.requests.map((request) => `${request.method} ${request.url.replace(/\?.*/, '')}`)).toEqual([
        'PUT /upload/u1',
        'GET /tags',
        'GET /blob/1',
      ]);
      for (const request of elsewhere.requests) expect(request.headers.authorization).toBeUndefined();
      // The registry itself got them throughout.
      expect(server.requests.filter((request) => request.headers.authorization).length).toBeGreaterThan(2);
    },
  );

  it('says why a URL on another origin that asks for credentials gets none', async () => {
    const elsewhere = await stubServer((_request, response) =>
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="elsewhere"' }).end(),
    );
    servers.push(elsewhere);
    const server = await stubServer((request, response) => {
      if (request.headers.authorization !== BASIC)
        return response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end();
      response.writeHead(202, { Location: `${elsewhere.url}/upload/u1` }).end();
    });
    servers.push(server);
    const { registry } = client(server.host, new ManualClock());
    await expect(registry.putBlob('ns/app', Buffer.from('{}'))).rejects.toThrow(
      `: 401 Unauthorized; ${elsewhere.host} is not the registry's own origin, so it gets no credentials`,
    );
    expect(elsewhere.requests).toHaveLength(1);
    expect(elsewhere.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('keeps sending credentials to a redirect on its own origin', async () => {
    const server = await stubServer((request, response) => {
      if (request.headers.authorization !== BASIC)
        return response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end();
      if (request.url.startsWith('/v2/ns/app/blobs/sha256:0'))
        return response.writeHead(307, { Location: '/v2/ns/app/blobs/moved' }).end();
      response.writeHead(200).end('same-origin');
    });
    servers.push(server);
    const { registry } = client(server.host, new ManualClock());
    expect((await registry.getBlob('ns/app', 'sha256:0')).toString()).toBe('same-origin');
    expect(server.requests.at(-1)?.url).toBe('/v2/ns/app/blobs/moved');
    expect(server.requests.at(-1)?.headers.authorization).toBe(BASIC);
  });
});
