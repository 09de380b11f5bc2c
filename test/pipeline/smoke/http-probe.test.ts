import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../pipeline/adapters/clock.js';
import { probe } from '../../../pipeline/smoke/http-probe.js';

// The smoke runner's one HTTP request, against local servers that answer, keep connections alive,
// take a request and never answer, or never finish their answer.

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: http.RequestListener): Promise<number> {
  const server = http.createServer({ keepAlive: true }, handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  remotePort: number;
}

async function recording(answer: (seen: Seen, response: http.ServerResponse) => void): Promise<[number, Seen[]]> {
  const seen: Seen[] = [];
  const port = await serve((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const one = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body,
        remotePort: request.socket.remotePort ?? 0,
      };
      seen.push(one);
      answer(one, response);
    });
  });
  return [port, seen];
}

describe('probe', () => {
  it('sends JSON as a POST with its type and byte length, and returns the status and text', async () => {
    const [port, seen] = await recording((_, response) => {
      response.writeHead(201, { 'Content-Type': 'application/json' });
      response.end('{"id":"/tést"}');
    });
    const answer = await probe(
      { port, path: '/v2/apps?force=true', json: { id: 'tést' }, headers: { 'X-Test': '1' } },
      5000,
      systemClock,
    );
    expect(answer).toEqual({ status: 201, text: '{"id":"/tést"}' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v2/apps?force=true', body: '{"id":"tést"}' });
    expect(seen[0]?.headers).toMatchObject({
      'content-type': 'application/json',
      'content-length': '14',
      'x-test': '1',
    });
  });

  it.each([
    ['GET without a body', {}, 'GET'],
    ['the method asked for', { method: 'DELETE' }, 'DELETE'],
    ['POST for a plain body', { body: 'x=1' }, 'POST'],
  ])('uses %s', async (_, extra, method) => {
    const [port, seen] = await recording((_, response) => response.end('ok'));
    expect(await probe({ port, path: '/', ...extra }, 5000, systemClock)).toEqual({ status: 200, text: 'ok' });
    expect(seen[0]?.method).toBe(method);
  });

  it('opens a connection of its own for every request, even to a server that keeps them alive', async () => {
    // A pooled connection would carry the second request to a service restarted in between.
    const [port, seen] = await recording((_, response) => response.end('ok'));
    for (let i = 0; i < 3; i++) await probe({ port, path: '/ping' }, 5000, systemClock);
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((one) => one.remotePort)).size).toBe(3);
  });

  it('says the service took the request and never answered', async () => {
    const port = await serve((request) => request.resume());
    expect(await probe({ port, path: '/v2/apps', json: { id: 'x' } }, 300, systemClock)).toEqual({
      error: 'connected and sent the request, but no answer within 300ms',
    });
  });

  it('says the service answered but never finished its answer', async () => {
    const port = await serve((_, response) => {
      response.writeHead(200, { 'Content-Length': '100' });
      response.write('partial');
    });
    expect(await probe({ port, path: '/state' }, 300, systemClock)).toEqual({
      error: 'answered 200, but the answer did not end within 300ms',
    });
  });

  it('reports a refused connection as an answer, with its cause', async () => {
    const port = await serve(() => undefined);
    const server = servers.pop();
    await new Promise((resolve) => server?.close(resolve));
    const answer = await probe({ port, path: '/health' }, 5000, systemClock);
    expect(answer).toEqual({ error: 'connection refused (ECONNREFUSED)' });
  });

  it('says a connection closed before any answer was closed, in words', async () => {
    const port = await serve((request) => request.socket.destroy());
    expect(await probe({ port, path: '/health' }, 5000, systemClock)).toEqual({
      error: 'the connection was closed without an answer (ECONNRESET)',
    });
  });

  it('answers at once when every connection is closed as it opens (a service restarting behind its port)', async () => {
    // Node 20's fetch waited for its deadline here when it was the process's first request (CI saw
    // whole polls of "no answer" after a service restart); the probe must say what happened.
    const closer = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => closer.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = closer.address() as AddressInfo;
      expect(await probe({ port, path: '/master/state' }, 5000, systemClock)).toEqual({
        error: 'the connection was closed without an answer (ECONNRESET)',
      });
    } finally {
      await new Promise((resolve) => closer.close(resolve));
    }
  });

  it("throws the caller's reason when the caller gives up, instead of answering", async () => {
    const port = await serve((request) => request.resume());
    const controller = new AbortController();
    const reason = new Error('interrupted');
    setTimeout(() => controller.abort(reason), 50);
    await expect(probe({ port, path: '/' }, 5000, systemClock, controller.signal)).rejects.toBe(reason);
  });
});
