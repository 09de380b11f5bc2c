import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A real registry of a test's own (Debian's docker-registry, as scripts/engine-up.sh runs the
 * shared ones), for settings the shared registries must not have: `deleteEnabled: false` is the
 * reference registry's default, and Docker Hub's behaviour for the Registry API.
 */
export class PrivateRegistry {
  readonly host: string;
  readonly logFile: string;
  private readonly child: ChildProcess;
  private readonly dir: string;

  private constructor(host: string, logFile: string, child: ChildProcess, dir: string) {
    this.host = host;
    this.logFile = logFile;
    this.child = child;
    this.dir = dir;
  }

  static async start(options: { deleteEnabled: boolean }): Promise<PrivateRegistry> {
    const dir = mkdtempSync(path.join(tmpdir(), 'mp-registry-'));
    const port = await freePort();
    const config = path.join(dir, 'config.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log: {level: info, accesslog: {disabled: false}}',
        `storage: {filesystem: {rootdirectory: ${dir}/data}, delete: {enabled: ${options.deleteEnabled}}}`,
        `http: {addr: 127.0.0.1:${port}}`,
        '',
      ].join('\n'),
    );
    const logFile = path.join(dir, 'registry.log');
    const log = openSync(logFile, 'a');
    const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', log, log] });
    const registry = new PrivateRegistry(`127.0.0.1:${port}`, logFile, child, dir);
    const started = Date.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}; see ${logFile}`);
      const ok = await fetch(`http://${registry.host}/v2/`)
        .then((response) => response.status === 200)
        .catch(() => false);
      if (ok) return registry;
      if (Date.now() - started > 15_000) {
        await registry.stop();
        throw new Error(`docker-registry did not answer on ${registry.host} within 15s; see ${logFile}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops this registry (only the process this helper started) and deletes its data. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
