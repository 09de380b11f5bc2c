import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A fault-injecting HTTP proxy for the Registry API. It listens on its own loopback port (which
 * dockerd treats as a plain-HTTP registry, like the real one behind it), forwards everything to
 * the real registry and, per rule, answers a status instead, resets the connection in the middle
 * of a request body, holds the answer back, or goes away entirely and comes back.
 *
 * The engine's pushes and the pipeline's own registry calls both go through it when the run's
 * `--registry` names the proxy. Every request it sees is recorded, with the fault it got, so a
 * test can count attempts and wait for a moment ("the first blob upload started") instead of
 * sleeping.
 */

export type Fault =
  /** Answer this status with a registry-style error body, without forwarding. */
  | { kind: 'status'; status: number; code?: string; retryAfterSeconds?: number }
  /** Forward part of the request body, then reset both connections (a TCP RST to the client). */
  | { kind: 'reset' }
  /** Forward, let the registry act, and hold its answer back for `ms` (Infinity: never answer). */
  | { kind: 'delay'; ms: number };

export interface SeenRequest {
  /** 1-based, in arrival order. */
  index: number;
  method: string;
  path: string;
  at: number;
  /** The rule whose fault this request got, if any. */
  fault?: string;
  /** The status the client got, once it got one, and when. */
  status?: number;
  answeredAt?: number;
  /** For a manifest PUT: the sha256 digest of the manifest it carried. */
  manifestDigest?: string;
}

export interface Rule {
  name: string;
  match: (request: SeenRequest) => boolean;
  fault: Fault;
  /** How many matching requests get the fault (default: all of them). */
  times?: number;
  /** Only every n-th matching request counts (1st, n+1-th, ...): "a share" of them. Default 1. */
  every?: number;
}

export interface FaultProxyOptions {
  /** `127.0.0.1:5000`: the real registry. */
  upstream: string;
  /** Demand these credentials (Basic) like an htpasswd registry, and do not pass them on. */
  auth?: { username: string; password: string };
}

const BLOB_UPLOAD = /^\/v2\/.+\/blobs\/uploads\//;
const MANIFEST = /^\/v2\/(.+)\/manifests\/([^/?]+)$/;

/** Matches the POST/PATCH/PUT requests that move blob bytes (not the existence checks). */
export function isBlobUpload(request: SeenRequest): boolean {
  return (
    BLOB_UPLOAD.test(request.path) &&
    request.method !== 'GET' &&
    request.method !== 'HEAD' &&
    request.method !== 'DELETE'
  );
}

/** A request carrying layer bytes: the PATCH or the final PUT of an upload session. */
export function isBlobUploadWithBody(request: SeenRequest): boolean {
  return BLOB_UPLOAD.test(request.path) && (request.method === 'PATCH' || request.method === 'PUT');
}

/** A manifest PUT, optionally only for tags `tag` (exact) of repositories ending in `/name`. */
export function isManifestPut(
  filter: { tag?: string | RegExp; name?: string } = {},
): (request: SeenRequest) => boolean {
  return (request) => {
    if (request.method !== 'PUT') return false;
    const match = MANIFEST.exec(request.path);
    if (!match) return false;
    const [, repository, tag] = match as unknown as [string, string, string];
    if (filter.name !== undefined && !repository.endsWith(`/${filter.name}`)) return false;
    if (filter.tag === undefined) return true;
    return typeof filter.tag === 'string' ? tag === filter.tag : filter.tag.test(tag);
  };
}

export class FaultProxy {
  readonly requests: SeenRequest[] = [];
  private readonly options: FaultProxyOptions;
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly upstreamRequests = new Set<http.ClientRequest>();
  private readonly waiters: {
    predicate: (request: SeenRequest) => boolean;
    resolve: (request: SeenRequest) => void;
  }[] = [];
  private rules: { rule: Rule; seen: number; used: number }[] = [];
  private port = 0;
  private listening = false;

  private constructor(options: FaultProxyOptions) {
    this.options = options;
    this.server = http.createServer((request, response) => this.handle(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await proxy.up();
    return proxy;
  }

  /** `127.0.0.1:PORT`, to use as a registry host. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Replaces the rules; counts start again. */
  setRules(rules: Rule[]): void {
    this.rules = rules.map((rule) => ({ rule, seen: 0, used: 0 }));
  }

  /** Requests that got the fault of rule `name`. */
  faulted(name: string): SeenRequest[] {
    return this.requests.filter((request) => request.fault === name);
  }

  /** Resolves with the first request (past or future) for which `predicate` holds. */
  waitFor(predicate: (request: SeenRequest) => boolean): Promise<SeenRequest> {
    const seen = this.requests.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ predicate, resolve }));
  }

  /** Goes away entirely: stops listening (connections are refused) and cuts every open one. */
  async down(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const request of this.upstreamRequests) request.destroy();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Comes back on the same port. */
  async up(): Promise<void> {
    if (this.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: '127.0.0.1', port: this.port }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.listening = true;
  }

  async close(): Promise<void> {
    await this.down();
  }

  private pickFault(request: SeenRequest): Rule | undefined {
    for (const entry of this.rules) {
      if (!entry.rule.match(request)) continue;
      entry.seen += 1;
      const every = entry.rule.every ?? 1;
      if ((entry.seen - 1) % every !== 0) continue;
      if (entry.used >= (entry.rule.times ?? Infinity)) continue;
      entry.used += 1;
      return entry.rule;
    }
    return undefined;
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const seen: SeenRequest = {
      index: this.requests.length + 1,
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      at: Date.now(),
    };
    this.requests.push(seen);
    response.on('finish', () => {
      seen.status = response.statusCode;
      seen.answeredAt = Date.now();
    });
    if (seen.method === 'PUT' && MANIFEST.test(seen.path)) {
      const hash = createHash('sha256');
      request.on('data', (chunk: Buffer) => hash.update(chunk));
      request.on('end', () => (seen.manifestDigest = `sha256:${hash.digest('hex')}`));
    }
    for (const waiter of [...this.waiters]) {
      if (!waiter.predicate(seen)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(seen);
    }

    const auth = this.options.auth;
    if (
      auth &&
      request.headers.authorization !== `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
    ) {
      this.answer(request, response, 401, 'UNAUTHORIZED', 'authentication required', {
        'WWW-Authenticate': 'Basic realm="fault-proxy"',
      });
      return;
    }

    const rule = this.pickFault(seen);
    if (rule) seen.fault = rule.name;
    const fault = rule?.fault;
    if (fault?.kind === 'status') {
      const code =
        fault.code ??
        (fault.status === 429 ? 'TOOMANYREQUESTS' : fault.status === 401 ? 'UNAUTHORIZED' : 'UNAVAILABLE');
      this.answer(
        request,
        response,
        fault.status,
        code,
        `injected by the fault proxy (${rule?.name})`,
        fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) },
      );
      return;
    }
    this.forward(request, response, fault);
  }

  /**
   * Answers in the registry's error format once the request body is read, as a registry that takes
   * an upload and then refuses it: answered earlier, the engine may still be writing a layer and see
   * only "broken pipe" (Node closes the connection), and a test could not say which failure the run
   * reported.
   */
  private answer(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    status: number,
    code: string,
    message: string,
    headers: Record<string, string>,
  ): void {
    request.on('end', () => {
      const body = JSON.stringify({ errors: [{ code, message, detail: null }] });
      response.writeHead(status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        'Docker-Distribution-Api-Version': 'registry/2.0',
        ...headers,
      });
      response.end(body);
    });
    request.resume();
  }

  private forward(request: http.IncomingMessage, response: http.ServerResponse, fault: Fault | undefined): void {
    const [host, port] = this.options.upstream.split(':') as [string, string];
    const headers = { ...request.headers };
    if (this.options.auth) delete headers.authorization;
    // The Host header stays the proxy's, so the registry's upload Locations point back here.
    const upstream = http.request({
      host,
      port: Number(port),
      method: request.method,
      path: request.url,
      headers,
      agent: false,
    });
    this.upstreamRequests.add(upstream);
    upstream.on('close', () => this.upstreamRequests.delete(upstream));
    upstream.on('error', () => response.destroy());
    response.on('close', () => {
      if (!response.writableFinished) upstream.destroy();
    });

    upstream.on('response', (answer) => {
      const send = (): void => {
        if (response.destroyed) {
          answer.destroy();
          return;
        }
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      };
      if (fault?.kind !== 'delay') return send();
      if (fault.ms === Infinity) {
        answer.resume();
        return;
      }
      const timer = setTimeout(send, fault.ms);
      response.on('close', () => clearTimeout(timer));
    });

    if (fault?.kind === 'reset') {
      let cut = false;
      const resetNow = (): void => {
        if (cut) return;
        cut = true;
        upstream.destroy();
        request.socket.resetAndDestroy();
      };
      request.on('data', (chunk: Buffer) => {
        if (cut) return;
        // Half of the first chunk reaches the registry: the upload is cut in its middle.
        upstream.write(chunk.subarray(0, Math.floor(chunk.length / 2)));
        resetNow();
      });
      request.on('end', resetNow);
      return;
    }
    request.pipe(upstream);
  }
}
