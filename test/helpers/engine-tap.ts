import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** One HTTP request the pipeline sent to the engine, as it went over the socket. */
export interface EngineRequest {
  method: string;
  /** Path and query, as sent (URL-encoded). */
  target: string;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * A passive tap on the Docker engine's socket: the pipeline talks to `dockerHost`, every byte is
 * passed on unchanged to the real engine, and what the pipeline sent is kept so a test can see
 * exactly which build context, build args and headers reached the engine.
 */
export class EngineTap {
  readonly dockerHost: string;
  private readonly server: net.Server;
  private readonly streams: Buffer[][] = [];

  private constructor(engineSocket: string, socketPath: string) {
    this.dockerHost = `unix://${socketPath}`;
    this.server = net.createServer((client) => {
      const chunks: Buffer[] = [];
      this.streams.push(chunks);
      const engine = net.connect(engineSocket);
      client.on('data', (chunk: Buffer) => chunks.push(chunk));
      client.pipe(engine);
      engine.pipe(client);
      client.on('error', () => engine.destroy());
      engine.on('error', () => client.destroy());
      client.on('close', () => engine.destroy());
      engine.on('close', () => client.destroy());
    });
  }

  static async start(engineSocket: string): Promise<EngineTap> {
    const socketPath = path.join(mkdtempSync(path.join(tmpdir(), 'mp-tap-')), 'docker.sock');
    const tap = new EngineTap(engineSocket, socketPath);
    await new Promise<void>((resolve) => tap.server.listen(socketPath, resolve));
    return tap;
  }

  /** Every request seen so far, parsed from the raw streams (bodies de-chunked). */
  requests(): EngineRequest[] {
    return this.streams.flatMap((chunks) => parseRequests(Buffer.concat(chunks)));
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function parseRequests(data: Buffer): EngineRequest[] {
  const requests: EngineRequest[] = [];
  let offset = 0;
  while (offset < data.length) {
    const end = data.indexOf('\r\n\r\n', offset);
    if (end < 0) break;
    const [start = '', ...lines] = data.subarray(offset, end).toString('latin1').split('\r\n');
    const [method = '', target = ''] = start.split(' ');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    offset = end + 4;
    let body: Buffer = Buffer.alloc(0);
    if (headers['transfer-encoding']?.includes('chunked')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf('\r\n', offset);
        if (lineEnd < 0) break;
        const size = parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
        offset = lineEnd + 2;
        if (!(size > 0)) {
          offset += 2;
          break;
        }
        parts.push(data.subarray(offset, offset + size));
        offset += size + 2;
      }
      body = Buffer.concat(parts);
    } else if (headers['content-length']) {
      const length = Number(headers['content-length']);
      body = data.subarray(offset, offset + length);
      offset += length;
    }
    requests.push({ method, target, headers, body });
    // After an upgrade (exec, attach) the connection carries a raw stream, not HTTP.
    if (headers.upgrade) break;
  }
  return requests;
}
