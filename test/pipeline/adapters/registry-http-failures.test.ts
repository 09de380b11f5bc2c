import http from 'node:http';
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../pipeline/adapters/clock.js';
import { RegistryHttp, WRITE_GRACE_MS } from '../../../pipeline/adapters/registry-http.js';
import { StreamLogger } from '../../../pipeline/log.js';
import { INTERRUPTED_CLEANUP_TIMEOUT_MS } from '../../../pipeline/publish/push.js';
import { Redactor } from '../../../pipeline/redact.js';
import { BufferSink } from '../../helpers/runtime.js';

// RegistryHttp against a local stand-in registry whose answers each test scripts.

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;
const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function registry(handler: Handler): Promise<{ host: string; hits: number[] }> {
  const hits: number[] = [];
  const server = http.createServer((request, response) => {
    hits.push(Date.now());
    request.resume();
    handler(request, response);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

function client(
  host: string,
  options: { retries: number; timeoutMs?: number; signal?: AbortSignal; writeGraceMs?: number },
): { registry: RegistryHttp; log: BufferSink } {
  const log = new BufferSink();
  const logger = new StreamLogger({ sink: log, redactor: new Redactor() });
  return {
    log,
    registry: new RegistryHttp({
      host,
      requestTimeoutMs: options.timeoutMs ?? 5000,
      ...(options.writeGraceMs === undefined ? {} : { writeGraceMs: options.writeGraceMs }),
      retry: {
        policy: { retries: options.retries, minDelayMs: 10, maxDelayMs: 50 },
        log: logger,
        clock: systemClock,
        signal: options.signal,
      },
    }),
  };
}

const MANIFEST = {
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  bytes: Buffer.from('{}'),
  digest: '',
};

function errorBody(
  response: http.ServerResponse,
  status: number,
  code: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify({ errors: [{ code, message: 'scripted' }] }));
}

describe('RegistryHttp', () => {
  it(
    'gives up on a registry that never answers after its timeout, every attempt, even when garbage is ' +
      'collected meanwhile',
    async () => {
      // Never answers. Full collections run during the waits: a timeout signal held only weakly
      // (AbortSignal.any with AbortSignal.timeout on Node 20, nodejs/node#57736) would never fire.
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc') as () => void;
      const silent = await registry(() => undefined);
      // Bound to a run's signal, as in every real run.
      const run = new AbortController();
      const { registry: client_, log } = client(silent.host, { retries: 2, timeoutMs: 300, signal: run.signal });
      const collect = setInterval(gc, 50);
      const started = Date.now();
      try {
        await expect(client_.putManifest('ns/app', '1.7.x', MANIFEST)).rejects.toThrow(
          `manifest ${silent.host}/ns/app:1.7.x: ${silent.host} did not answer within 0.3s`,
        );
      } finally {
        clearInterval(collect);
      }
      // Every attempt timed out on its own deadline: two retries, each after a timeout. Counted by
      // the client: under load a full collection can outlast an attempt before its request reaches
      // the server in this same process, so the server may see fewer than three.
      expect(log.text.match(/failed \(attempt \d of 3\): .*did not answer within 0\.3s; retrying/g)).toHaveLength(2);
      expect(silent.hits.length).toBeGreaterThanOrEqual(1);
      expect(Date.now() - started).toBeLessThan(5000);
    },
  );

  it('retries 503 a bounded number of times, logging each retry', async () => {
    const failing = await registry((_, response) => errorBody(response, 503, 'UNAVAILABLE'));
    const { registry: client_, log } = client(failing.host, { retries: 3 });
    await expect(client_.putManifest('ns/app', '1.7.x', MANIFEST)).rejects.toThrow(
      /503 Service Unavailable \(UNAVAILABLE: scripted\)/,
    );
    expect(failing.hits).toHaveLength(4);
    expect(log.text.match(/failed \(attempt \d of 4\).*retrying/g)).toHaveLength(3);
  });

  it('waits at least as long as Retry-After asks before trying again', async () => {
    let calls = 0;
    const limited = await registry((_, response) => {
      calls += 1;
      if (calls === 1) return errorBody(response, 429, 'TOOMANYREQUESTS', { 'Retry-After': '1' });
      response.writeHead(201, { 'Docker-Content-Digest': 'sha256:abc' });
      response.end();
    });
    const { registry: client_, log } = client(limited.host, { retries: 2 });
    await expect(client_.putManifest('ns/app', '1.7.x', MANIFEST)).resolves.toBe('sha256:abc');
    expect((limited.hits[1] as number) - (limited.hits[0] as number)).toBeGreaterThanOrEqual(1000);
    expect(log.text).toContain('waiting at least 1s as the registry asked');
  });

  it.each([
    [401, 'UNAUTHORIZED'],
    [403, 'DENIED'],
    [400, 'NAME_INVALID'],
  ])('never retries %i %s', async (status, code) => {
    const refusing = await registry((_, response) => errorBody(response, status, code));
    const { registry: client_ } = client(refusing.host, { retries: 4 });
    await expect(client_.putManifest('ns/app', '1.7.x', MANIFEST)).rejects.toThrow(new RegExp(`${status} .*${code}`));
    expect(refusing.hits).toHaveLength(1);
  });

  it('stops at once when the run is interrupted, with the interruption as the error', async () => {
    const silent = await registry(() => undefined);
    const run = new AbortController();
    const { registry: client_ } = client(silent.host, { retries: 4, timeoutMs: 60_000, signal: run.signal });
    setTimeout(() => run.abort(new Error('interrupted by SIGTERM')), 100);
    const started = Date.now();
    await expect(client_.digestOf('ns/app', '1.7.x')).rejects.toThrow('interrupted by SIGTERM');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(silent.hits).toHaveLength(1);
  });
  // A manifest PUT the registry has received is acted on whether or not its answer is awaited:
  // abandoned at the signal, it could land after a rollback read the tag, and be undone by nothing.
  it('lets a manifest PUT under way when the run is stopped get its answer: the caller knows it landed', async () => {
    const slow = await registry((_, response) => {
      setTimeout(() => {
        response.writeHead(201, { 'Docker-Content-Digest': 'sha256:landed' });
        response.end();
      }, 600);
    });
    const run = new AbortController();
    const { registry: client_ } = client(slow.host, { retries: 4, timeoutMs: 60_000, signal: run.signal });
    setTimeout(() => run.abort(new Error('interrupted by SIGINT')), 100);
    await expect(client_.putManifest('ns/app', '1.7.x', MANIFEST)).resolves.toBe('sha256:landed');
    expect(slow.hits).toHaveLength(1);
  });

  it('sends no manifest PUT once the run is stopped, and retries none after the signal', async () => {
    let calls = 0;
    const failing = await registry((_, response) => {
      calls += 1;
      setTimeout(() => errorBody(response, 503, 'UNAVAILABLE'), 300);
    });
    const run = new AbortController();
    const { registry: client_ } = client(failing.host, { retries: 4, timeoutMs: 60_000, signal: run.signal });
    setTimeout(() => run.abort(new Error('interrupted by SIGINT')), 100);
    await expect(client_.putManifest('ns/app', '1.7.x', MANIFEST)).rejects.toThrow(/interrupted by SIGINT|503/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(calls).toBe(1);
    await expect(client_.putManifest('ns/app', '1.7.x', MANIFEST)).rejects.toThrow('interrupted by SIGINT');
    expect(calls).toBe(1);
  });

  it('waits for the answer of a PUT under way only for a bounded grace after the signal', async () => {
    const silent = await registry(() => undefined);
    const run = new AbortController();
    const options = { retries: 4, timeoutMs: 60_000, signal: run.signal, writeGraceMs: 700 };
    const { registry: client_ } = client(silent.host, options);
    setTimeout(() => run.abort(new Error('interrupted by SIGTERM')), 100);
    const started = Date.now();
    await expect(client_.putManifest('ns/app', '1.7.x', MANIFEST)).rejects.toThrow('interrupted by SIGTERM');
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(Date.now() - started).toBeLessThan(700 + 1500);
    // A signalled run stops within 10 s: the grace and the rollback after it fit in that.
    expect(WRITE_GRACE_MS + INTERRUPTED_CLEANUP_TIMEOUT_MS).toBeLessThan(10_000);
  });
});
