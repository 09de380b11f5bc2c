import http from 'node:http';
import { deadline } from '../deadline.js';
import { errorMessage } from '../errors.js';
import type { Clock } from '../ports.js';

export interface HttpCall {
  port: number;
  path: string;
  method?: string | undefined;
  headers?: Record<string, string> | undefined;
  json?: unknown;
  body?: string | undefined;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

/** How far a request got: what a timeout says about where it stopped. */
type Phase = 'connecting' | 'sending' | 'waiting' | 'reading';

function stalled(phase: Phase, ms: number, status: number): string {
  const within = `within ${ms}ms`;
  switch (phase) {
    case 'connecting':
      return `no connection ${within}`;
    case 'sending':
      return `connected, but the request was not taken ${within}`;
    case 'waiting':
      return `connected and sent the request, but no answer ${within}`;
    case 'reading':
      return `answered ${status}, but the answer did not end ${within}`;
  }
}

/** A network failure in a few words: through a published port, a service not listening yet shows
 * as a connection the proxy takes and then closes. */
function failed(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET') return `the connection was closed without an answer (${code})`;
  if (code === 'ECONNREFUSED') return `connection refused (${code})`;
  return errorMessage(error);
}

/**
 * One HTTP request to a published container port on 127.0.0.1; network failures are answers too.
 *
 * Each probe opens a connection of its own and closes it (`agent: false`), as `curl` would: a
 * service restarted by the test must never be sent a request on a connection pooled from before
 * the restart, where it could wait unanswered. A timeout names how far the request got, so a
 * service that takes connections but never answers reads differently from one that is not there.
 */
export async function probe(
  call: HttpCall,
  timeoutMs: number,
  clock: Clock,
  signal?: AbortSignal,
): Promise<HttpAnswer | { error: string }> {
  const headers: Record<string, string> = { ...call.headers };
  let body: string | undefined = call.body;
  if (call.json !== undefined) {
    body = JSON.stringify(call.json);
    headers['Content-Type'] ??= 'application/json';
  }
  if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
  const ms = Math.max(100, timeoutMs);
  const limit = deadline(clock, ms, signal);
  let phase: Phase = 'connecting';
  let status = 0;
  try {
    return await new Promise<HttpAnswer>((resolve, reject) => {
      const request = http.request({
        host: '127.0.0.1',
        port: call.port,
        path: call.path,
        method: call.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        agent: false,
        signal: limit.signal,
      });
      request.once('socket', (socket) => socket.once('connect', () => (phase = 'sending')));
      request.once('finish', () => {
        if (phase === 'sending') phase = 'waiting';
      });
      request.once('response', (response) => {
        phase = 'reading';
        status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('end', () => resolve({ status, text: Buffer.concat(chunks).toString('utf8') }));
        response.once('error', reject);
      });
      request.once('error', reject);
      request.end(body);
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (limit.signal.aborted) return { error: stalled(phase, ms, status) };
    return { error: failed(error) };
  } finally {
    limit.dispose();
  }
}

export function statusAccepted(status: number, accepted: readonly number[] | undefined): boolean {
  return accepted ? accepted.includes(status) : status >= 200 && status < 300;
}
