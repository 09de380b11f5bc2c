import { deadline } from '../deadline.js';
import type { Clock } from '../ports.js';

// Statuses whose Response may not carry a body, not even an empty one.
const NULL_BODY_STATUSES = new Set([204, 205, 304]);

export interface FetchLimits {
  clock: Clock;
  timeoutMs: number;
  /** The run's signal: aborts the exchange at once, with its reason. */
  signal?: AbortSignal | undefined;
}

/**
 * One HTTP exchange, answered and read in full within `timeoutMs` of the clock (or until the run's
 * signal aborts): a server that sends headers and then stalls the body is a timeout too. The
 * registry client and the Docker Hub client both talk through it.
 */
export async function fetchWithDeadline(
  fetchFn: typeof fetch,
  url: string | URL,
  init: RequestInit,
  limits: FetchLimits,
): Promise<Response> {
  const limit = deadline(limits.clock, limits.timeoutMs, limits.signal);
  try {
    const response = await fetchFn(url, { ...init, signal: limit.signal });
    const body = NULL_BODY_STATUSES.has(response.status) ? null : Buffer.from(await response.arrayBuffer());
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  } finally {
    limit.dispose();
  }
}
