import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killLeftoverClis, startBuiltCli, type CliResult } from '../helpers/cli.js';
import { GitRepo } from '../helpers/git-repo.js';
import { fixtureFamily } from '../helpers/paths.js';
import { TODAY, stack } from '../helpers/scenario.js';
import { uniqueId } from '../helpers/stack.js';
import { writeTree } from '../helpers/temp-files.js';

// A signalled run stops within 10 s whatever it waits on: a git remote that accepts and never
// answers, a credential helper that never answers (and ignores SIGTERM). What it started goes too.

const STOP_WITHIN_MS = 10_000;

/** A TCP server that accepts connections and never says a word: a remote that hangs. */
class SilentServer {
  readonly sockets = new Set<Socket>();
  accepted = 0;
  private readonly server: Server;
  private waiting: (() => void)[] = [];

  constructor() {
    this.server = createServer((socket) => {
      this.accepted += 1;
      this.sockets.add(socket);
      // Read (and drop) what the client sends, so that its end shows as a close.
      socket.resume();
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
      for (const resolve of this.waiting.splice(0)) resolve();
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  /** Resolves once more than `count` connections were accepted in all. */
  async acceptedMoreThan(count: number): Promise<void> {
    while (this.accepted <= count) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const silent = new SilentServer();
let port = 0;
const repo = new GitRepo();
repo.commit('1.7.x');
beforeAll(async () => {
  port = await silent.listen();
});
afterAll(async () => {
  killLeftoverClis();
  await silent.close();
  repo.remove();
});

function publishArgs(repoUrl: string): string[] {
  return [
    'publish',
    '--repo',
    repoUrl,
    '--images',
    fixtureFamily,
    '--registry',
    `${stack.registry}/stop-${uniqueId()}`,
    '--date',
    TODAY,
    '--branch',
    '1.7.x',
  ];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends SIGTERM and waits for the exit, at most `STOP_WITHIN_MS` (then the test fails). */
async function terminate(result: Promise<CliResult>, kill: () => void): Promise<CliResult & { tookMs: number }> {
  const sent = Date.now();
  kill();
  const late = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`still running ${STOP_WITHIN_MS} ms after SIGTERM`)), STOP_WITHIN_MS).unref(),
  );
  const ended = await Promise.race([result, late]);
  return { ...ended, tookMs: Date.now() - sent };
}

describe('a signalled run stops within 10 s', () => {
  it.each(['http', 'git'])(
    'while git ls-remote waits on a %s:// remote that never answers, and the git processes go too',
    async (scheme) => {
      const before = silent.accepted;
      const cli = startBuiltCli(publishArgs(`${scheme}://127.0.0.1:${port}/mesos.git`), {
        DOCKER_HOST: stack.dockerHost,
      });
      await silent.acceptedMoreThan(before);
      // ls-remote is connected and waiting for an answer that never comes.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const ended = await terminate(cli.result, () => cli.child.kill('SIGTERM'));
      expect(ended.code, ended.stderr).toBe(143);
      expect(ended.tookMs).toBeLessThan(STOP_WITHIN_MS);
      expect(ended.stderr).toMatch(/received SIGTERM/);
      expect(ended.stderr).toMatch(/^error: interrupted by SIGTERM$/m);
      // The remote sees its connection closed: git and its remote helper are gone, not orphaned.
      for (let waited = 0; silent.sockets.size > 0 && waited < 3000; waited += 100)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(silent.sockets.size).toBe(0);
    },
  );

  it('while a credential helper never answers and ignores SIGTERM, and the helper goes too', async () => {
    const bin = writeTree({}, 'mp-helper-');
    const pidFile = path.join(bin, 'helper.pid');
    // SIGTERM stays ignored across exec: the sleeping helper is deaf to it.
    writeFileSync(
      path.join(bin, 'docker-credential-mp-hang'),
      `#!/bin/sh\ntrap '' TERM\necho $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}\nexec sleep 120\n`,
    );
    chmodSync(path.join(bin, 'docker-credential-mp-hang'), 0o755);
    const config = writeTree({ 'config.json': JSON.stringify({ credsStore: 'mp-hang' }) }, 'mp-docker-config-');
    const cli = startBuiltCli(publishArgs(repo.dir), {
      DOCKER_HOST: stack.dockerHost,
      DOCKER_CONFIG: config,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
    });
    for (let waited = 0; !existsSync(pidFile) && waited < 60_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const helper = Number(readFileSync(pidFile, 'utf8'));
    const ended = await terminate(cli.result, () => cli.child.kill('SIGTERM'));
    expect(ended.code, ended.stderr).toBe(143);
    expect(ended.tookMs).toBeLessThan(STOP_WITHIN_MS);
    expect(ended.stderr).toMatch(/^error: interrupted by SIGTERM$/m);
    expect(alive(helper)).toBe(false);
  });
});
