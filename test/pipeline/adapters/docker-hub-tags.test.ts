import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DockerHubTagDeleter, hubRollbackDeleter } from '../../../pipeline/adapters/docker-hub-tags.js';
import { chooseTagDeleter } from '../../../pipeline/commands/prune.js';
import { StreamLogger } from '../../../pipeline/log.js';
import type { Registry } from '../../../pipeline/ports.js';
import { Redactor } from '../../../pipeline/redact.js';
import { RegistryApiTagDeleter, type TagDeleter } from '../../../pipeline/registry/tag-deleter.js';
import { BufferSink, fixedClock } from '../../helpers/runtime.js';
import { RegistryError } from '../../../pipeline/errors.js';

const PASSWORD = 'dckr_pat_standIn123';

/** A stand-in for the Docker Hub API: login, and tag deletion with the token login handed out. */
class HubStandIn {
  readonly tags = new Set([
    'mesos/mesos-mini:master-2026-01-01',
    'mesos/mesos-mini:master-2026-01-02',
    'mesos/mesos-centos:1.9.x-2026-01-01',
  ]);
  readonly requests: string[] = [];
  /** Statuses to answer the next requests with, before behaving. */
  readonly hiccups: number[] = [];
  /** When set, requests are accepted and never answered: a Hub that hangs. */
  silent = false;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const line = `${request.method} ${request.url} ${request.headers.authorization ?? '-'}`;
        this.requests.push(line);
        if (this.silent) return;
        const hiccup = this.hiccups.shift();
        if (hiccup) return void response.writeHead(hiccup).end();
        if (request.method === 'POST' && request.url === '/v2/users/login') {
          const { username, password } = JSON.parse(body) as { username: string; password: string };
          if (username !== 'bot' || password !== PASSWORD)
            return void response
              .writeHead(401, { 'Content-Type': 'application/json' })
              .end('{"detail":"Incorrect authentication credentials"}');
          return void response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"token":"hub-jwt"}');
        }
        const match = /^\/v2\/repositories\/([^/]+)\/([^/]+)\/tags\/([^/]+)\/$/.exec(request.url ?? '');
        if (request.method === 'DELETE' && match) {
          if (request.headers.authorization !== 'Bearer hub-jwt') return void response.writeHead(401).end();
          if (match[1] === 'other') return void response.writeHead(403).end();
          const key = `${match[1]}/${match[2]}:${match[3]}`;
          if (!this.tags.delete(key)) return void response.writeHead(404).end();
          return void response.writeHead(204).end();
        }
        response.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

let hub: HubStandIn;
beforeEach(async () => {
  hub = new HubStandIn();
  await hub.start();
});
afterEach(() => hub.stop());

const log = new StreamLogger({ sink: new BufferSink(), redactor: new Redactor() });
const retry = { policy: { retries: 2, minDelayMs: 5, maxDelayMs: 10 }, log, clock: fixedClock('2026-11-27T10:00:00Z') };
const deleter = (password = PASSWORD): DockerHubTagDeleter =>
  new DockerHubTagDeleter({ credentials: { username: 'bot', password }, retry, baseUrl: hub.url });

describe('DockerHubTagDeleter', () => {
  it('logs in once and deletes exactly the tags asked for, through the Hub API', async () => {
    await deleter().deleteTags('mesos/mesos-mini', ['master-2026-01-01', 'master-2026-01-02']);
    expect([...hub.tags]).toEqual(['mesos/mesos-centos:1.9.x-2026-01-01']);
    expect(hub.requests).toEqual([
      'POST /v2/users/login -',
      'DELETE /v2/repositories/mesos/mesos-mini/tags/master-2026-01-01/ Bearer hub-jwt',
      'DELETE /v2/repositories/mesos/mesos-mini/tags/master-2026-01-02/ Bearer hub-jwt',
    ]);
  });

  it('takes a tag that is already gone as deleted', async () => {
    await expect(deleter().deleteTags('mesos/mesos-mini', ['master-1999-01-01'])).resolves.toBeUndefined();
  });

  it('retries what Docker Hub answers with 503', async () => {
    hub.hiccups.push(503, 503);
    await deleter().deleteTags('mesos/mesos-centos', ['1.9.x-2026-01-01']);
    expect(hub.tags.has('mesos/mesos-centos:1.9.x-2026-01-01')).toBe(false);
  });

  it('explains a refused login without repeating the password', async () => {
    const error = await deleter('wrong-password')
      .deleteTags('mesos/mesos-mini', ['master-2026-01-01'])
      .then(
        () => new Error('no error'),
        (e: unknown) => e as Error,
      );
    expect(error.message).toMatch(
      /^Docker Hub login of bot: 401 Unauthorized; check REGISTRY_USERNAME and REGISTRY_PASSWORD/,
    );
    expect(error.message).not.toContain('wrong-password');
    expect(hub.tags.size).toBe(3);
  });

  it('explains a refused delete', async () => {
    await expect(deleter().deleteTags('other/mesos-mini', ['master-2026-01-01'])).rejects.toThrow(
      /delete tag docker\.io\/other\/mesos-mini:master-2026-01-01: 403 Forbidden; bot may not delete tags of other\/mesos-mini/,
    );
  });

  it('refuses repository paths Docker Hub does not have', async () => {
    await expect(deleter().deleteTags('org/team/mesos-mini', ['master-2026-01-01'])).rejects.toThrow(
      'Docker Hub repositories are NAMESPACE/NAME',
    );
    expect(hub.requests).toEqual([]);
  });
});

describe('hubRollbackDeleter', () => {
  const rollback = (budgetMs: number): TagDeleter =>
    hubRollbackDeleter({
      credentials: { username: 'bot', password: PASSWORD },
      log,
      clock: retry.clock,
      budgetMs,
      baseUrl: hub.url,
    });

  it('deletes tags like the Hub deleter', async () => {
    await rollback(5000).deleteTags('mesos/mesos-mini', ['master-2026-01-01']);
    expect(hub.tags.has('mesos/mesos-mini:master-2026-01-01')).toBe(false);
  });

  it('raises registry errors of its own, not errors of a prune step (it runs in a rollback)', async () => {
    const error = await rollback(5000)
      .deleteTags('other/mesos-mini', ['master-2026-01-01'])
      .then(
        () => new Error('no error'),
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).step).toBe('registry');
    expect((error as RegistryError).status).toBe(403);
  });

  it('gives up when the rollback budget is spent, though each request may take longer', async () => {
    hub.silent = true;
    const started = Date.now();
    await expect(
      rollback(500).deleteTags('mesos/mesos-mini', ['master-2026-01-01', 'master-2026-01-02']),
    ).rejects.toThrow();
    // Within the budget and a margin for a loaded machine; a request alone may take 5 s, two 10 s.
    expect(Date.now() - started).toBeLessThan(2500);
    expect(hub.tags.size).toBe(3);
  }, 30_000);
});

describe('chooseTagDeleter', () => {
  const registry = {} as Registry;
  it.each([
    ['docker.io', DockerHubTagDeleter, false],
    ['ghcr.io', RegistryApiTagDeleter, true],
    ['127.0.0.1:5000', RegistryApiTagDeleter, true],
  ])('uses the right deletion for %s', (host, kind, deletesManifests) => {
    const target = chooseTagDeleter(host, registry, { username: 'bot', password: PASSWORD }, retry, false);
    expect(target.deleter).toBeInstanceOf(kind);
    expect(target.deletesManifests).toBe(deletesManifests);
  });

  it('needs credentials to prune Docker Hub, except for a dry run', () => {
    expect(() => chooseTagDeleter('docker.io', registry, undefined, retry, false)).toThrow(
      /pruning Docker Hub needs credentials/,
    );
    expect(chooseTagDeleter('docker.io', registry, undefined, retry, true).deleter).toBeUndefined();
  });
});
