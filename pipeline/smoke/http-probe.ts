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

/** One HTTP request to a published container port on 127.0.0.1; network failures are answers too. */
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
  const limit = deadline(clock, Math.max(100, timeoutMs), signal);
  try {
    const response = await fetch(`http://127.0.0.1:${call.port}${call.path}`, {
      method: call.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      ...(body === undefined ? {} : { body }),
      signal: limit.signal,
    });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const cause = error instanceof Error && error.cause ? `: ${errorMessage(error.cause)}` : '';
    return { error: `${errorMessage(error)}${cause}` };
  } finally {
    limit.dispose();
  }
}

export function statusAccepted(status: number, accepted: readonly number[] | undefined): boolean {
  return accepted ? accepted.includes(status) : status >= 200 && status < 300;
}
