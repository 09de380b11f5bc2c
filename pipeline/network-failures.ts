/**
 * The socket and fetch (undici) error codes of a request that got no answer, in one table: what
 * each means in words (for messages such as "cannot reach GitHub: connection refused") and whether
 * another attempt may get through (for retrying). Retry policy and messages read the same codes.
 */
export const NETWORK_FAILURES: Readonly<Record<string, { words: string; transient: boolean }>> = {
  ECONNREFUSED: { words: 'connection refused', transient: true },
  ECONNRESET: { words: 'connection reset', transient: true },
  EPIPE: { words: 'connection broken', transient: true },
  ETIMEDOUT: { words: 'timed out', transient: true },
  EAI_AGAIN: { words: 'host name lookup failed', transient: true },
  EHOSTUNREACH: { words: 'host unreachable', transient: true },
  ENETUNREACH: { words: 'network unreachable', transient: true },
  UND_ERR_SOCKET: { words: 'connection closed', transient: true },
  UND_ERR_CONNECT_TIMEOUT: { words: 'connect timed out', transient: true },
  UND_ERR_HEADERS_TIMEOUT: { words: 'no answer in time', transient: true },
  UND_ERR_BODY_TIMEOUT: { words: 'the answer stalled', transient: true },
  // A name DNS says does not exist (EAI_AGAIN is the temporary kind): the next attempt meets it again.
  ENOTFOUND: { words: 'no such host', transient: false },
};

/** How deep down an error's causes to look: fetch's TypeError, then undici's, then the socket's. */
const CAUSE_DEPTH = 4;

/** The error and its causes, outermost first, as far down as codes are looked for. */
export function causeChain(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let current = error; current instanceof Error && chain.length < CAUSE_DEPTH; current = current.cause)
    chain.push(current);
  return chain;
}

/** The `code` of an error, when it has a string one. */
export function errorCode(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** The first network failure in an error's causes that the table knows, or undefined. */
export function networkFailureOf(error: unknown): { code: string; words: string; transient: boolean } | undefined {
  for (const link of causeChain(error)) {
    const code = errorCode(link);
    if (code !== undefined && Object.hasOwn(NETWORK_FAILURES, code)) return { code, ...NETWORK_FAILURES[code]! };
  }
  return undefined;
}
