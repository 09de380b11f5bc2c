/**
 * The engine answers build and push with HTTP 200 and then reports progress, results and
 * failures as newline-delimited JSON inside the body. A failed build is an `error`/`errorDetail`
 * line in a successful stream (dockerode's followProgress ignores it), so every line is read.
 */
export interface EngineMessage {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: { ID?: string; Digest?: string; Tag?: string; Size?: number };
}

/** The failure a message reports, if any: errorDetail.message first, as the daemon wrote it. */
export function messageError(message: EngineMessage): string | undefined {
  if (message.errorDetail?.message) return message.errorDetail.message.trim();
  if (message.error) return message.error.trim();
  return undefined;
}

/** Splits chunks into lines and parses each; a line that is not JSON is kept as text. */
export class JsonLineParser {
  private buffer = '';

  push(chunk: Buffer | string): EngineMessage[] {
    this.buffer += chunk.toString();
    const lines = this.buffer.split(/\r?\n/);
    // Stryker disable next-line StringLiteral: split always returns at least one element
    this.buffer = lines.pop() ?? '';
    return lines.flatMap(parseLine);
  }

  end(): EngineMessage[] {
    const rest = this.buffer;
    this.buffer = '';
    return parseLine(rest);
  }
}

function parseLine(line: string): EngineMessage[] {
  const text = line.trim();
  if (text === '') return [];
  try {
    return [JSON.parse(text) as EngineMessage];
  } catch {
    return [{ stream: text }];
  }
}

/**
 * Reads a whole engine stream, handing each message to `onMessage`. Resolves with every message
 * at the end of the stream; rejects when the stream fails or is aborted. It does not judge the
 * messages: callers look for error lines with messageError.
 */
export function readEngineStream(
  stream: NodeJS.ReadableStream,
  onMessage: (message: EngineMessage) => void,
  signal?: AbortSignal,
): Promise<EngineMessage[]> {
  return new Promise((resolve, reject) => {
    const parser = new JsonLineParser();
    const all: EngineMessage[] = [];
    const take = (messages: EngineMessage[]): void => {
      for (const message of messages) {
        all.push(message);
        onMessage(message);
      }
    };
    const onAbort = (): void => {
      (stream as NodeJS.ReadableStream & { destroy?: (error?: Error) => void }).destroy?.();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    if (signal?.aborted) return onAbort();
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: a signal aborts once; end and error remove it
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => take(parser.push(chunk)));
    stream.on('error', (error: Error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    stream.on('end', () => {
      signal?.removeEventListener('abort', onAbort);
      take(parser.end());
      resolve(all);
    });
  });
}
