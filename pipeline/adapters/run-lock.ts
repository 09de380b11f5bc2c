import { createHash } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface HeldLock {
  release(): Promise<void>;
}

/**
 * A lock that cannot outlive its process: a listening unix socket. On Linux it lives in the
 * abstract namespace, which the kernel frees the moment the process dies, however it dies;
 * elsewhere a socket file whose listener is gone counts as stale and is taken over.
 * Returns the lock, or who holds it.
 */
export async function acquireLock(key: string): Promise<HeldLock | { heldBy: string }> {
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 32);
  const address =
    process.platform === 'linux' ? `\0mesos-pipeline-${hash}` : path.join(tmpdir(), `mesos-pipeline-${hash}.sock`);
  const holder = JSON.stringify({ pid: process.pid, key });

  const listen = (): Promise<net.Server | 'busy'> =>
    new Promise((resolve, reject) => {
      const server = net.createServer((socket) => socket.end(holder));
      server.once('error', (error: NodeJS.ErrnoException) =>
        error.code === 'EADDRINUSE' ? resolve('busy') : reject(error),
      );
      server.listen({ path: address }, () => {
        server.unref();
        resolve(server);
      });
    });

  const ask = (): Promise<string | undefined> =>
    new Promise((resolve) => {
      const socket = net.connect({ path: address });
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', () => resolve(undefined));
    });

  for (let attempt = 0; attempt < 2; attempt += 1) {
    const server = await listen();
    if (server !== 'busy') {
      return { release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
    }
    const answer = await ask();
    if (answer !== undefined) {
      const pid = (() => {
        try {
          return (JSON.parse(answer) as { pid?: number }).pid;
        } catch {
          return undefined;
        }
      })();
      return { heldBy: pid ? `process ${pid}` : 'another process' };
    }
    // Nobody answers: a socket file left by a dead process (never the case for abstract sockets).
    await unlink(address).catch(() => undefined);
  }
  return { heldBy: 'another process' };
}
