import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './paths.js';

/**
 * A private token-auth registry for one test: a real docker-registry (`auth: token`) and the
 * stack's own token service (scripts/token-service.mjs), on free loopback ports, with a key pair,
 * an account and a token lifetime of its own. Tests that need tokens to expire within seconds use
 * it, so the shared stack's token registry (tokens of 300 s) is never disturbed. The engine pushes
 * to it like to any 127.0.0.1 registry.
 */
export interface TokenRegistry {
  /** `127.0.0.1:PORT`, to use as a registry host. */
  host: string;
  /** The token endpoint the registry's challenge names. */
  realm: string;
  username: string;
  password: string;
  lifetimeSeconds: number;
  registryLog: string;
  /** One JSON line per token request (see TokenRequest); never a token or a password. */
  tokenLog: string;
  /** Token requests the service answered so far. */
  tokenRequests(): TokenRequest[];
  stop(): Promise<void>;
}

export interface TokenRequest {
  time: string;
  method: string;
  path: string;
  /** The client's User-Agent: `node` for the pipeline, `docker/…` for the engine. */
  agent?: string;
  status: number;
  account?: string;
  scopes?: string[];
  granted?: string[];
}

const ISSUER = 'test-token-service';
const SERVICE = 'test-token-registry';
const running = new Set<ChildProcess>();
// A test worker that ends without stop() must not leave registries behind.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function track(child: ChildProcess, name: string, log: string): void {
  running.add(child);
  child.on('exit', () => running.delete(child));
  child.on('error', (error) => writeFileSync(log, `${name} failed to start: ${error.message}\n`, { flag: 'a' }));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function registryAnswers(host: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.status === 401;
  } catch {
    return false;
  }
}

export async function startTokenRegistry(
  options: { lifetimeSeconds?: number; username?: string; password?: string } = {},
): Promise<TokenRegistry> {
  const lifetimeSeconds = options.lifetimeSeconds ?? 300;
  const username = options.username ?? 'token-tester';
  const password = options.password ?? randomBytes(18).toString('base64url');
  const dir = mkdtempSync(path.join(tmpdir(), 'mp-token-registry-'));
  const file = (name: string): string => path.join(dir, name);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=mesos-pipeline test token service',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,digitalSignature,keyCertSign',
      '-keyout',
      file('key.pem'),
      '-out',
      file('cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  writeFileSync(file('username'), `${username}\n`);
  writeFileSync(file('password'), `${password}\n`, { mode: 0o600 });
  writeFileSync(
    file('token-service.json'),
    JSON.stringify({
      listen: '127.0.0.1:0',
      issuer: ISSUER,
      service: SERVICE,
      key: file('key.pem'),
      certificate: file('cert.pem'),
      accounts: [{ usernameFile: file('username'), passwordFile: file('password') }],
      lifetimeSeconds,
    }),
  );

  const tokenLog = file('token-service.log');
  writeFileSync(tokenLog, '');
  const service = spawn(
    process.execPath,
    [path.join(repoRoot, 'scripts/token-service.mjs'), file('token-service.json')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  track(service, 'token service', tokenLog);
  service.stderr?.on('data', (chunk: Buffer) => writeFileSync(tokenLog, chunk, { flag: 'a' }));
  // The first line names the port it got; every line after it is a request, kept in the log.
  const lines = createInterface({ input: service.stdout as NodeJS.ReadableStream });
  const listening = await new Promise<string>((resolve, reject) => {
    service.once('exit', (code) =>
      reject(new Error(`the token service exited (${code}): ${readFileSync(tokenLog, 'utf8')}`)),
    );
    lines.once('line', (line) => resolve((JSON.parse(line) as { listening: string }).listening));
  });
  lines.on('line', (line) => writeFileSync(tokenLog, `${line}\n`, { flag: 'a' }));
  const realm = `http://${listening}/token`;

  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const registryLog = file('registry.log');
  writeFileSync(
    file('registry.yml'),
    [
      'version: 0.1',
      'log: {level: info, accesslog: {disabled: false}}',
      `storage: {filesystem: {rootdirectory: ${file('data')}}, delete: {enabled: true}}`,
      `http: {addr: ${host}}`,
      `auth: {token: {realm: "${realm}", service: ${SERVICE}, issuer: ${ISSUER}, rootcertbundle: ${file('cert.pem')}}}`,
      '',
    ].join('\n'),
  );
  writeFileSync(registryLog, '');
  const registry = spawn('docker-registry', ['serve', file('registry.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  track(registry, 'docker-registry', registryLog);
  for (const stream of [registry.stdout, registry.stderr])
    stream?.on('data', (chunk: Buffer) => writeFileSync(registryLog, chunk, { flag: 'a' }));

  const stop = async (): Promise<void> => {
    await Promise.all([stopChild(registry), stopChild(service)]);
    rmSync(dir, { recursive: true, force: true });
  };
  for (let attempt = 0; !(await registryAnswers(host)); attempt += 1) {
    if (attempt >= 100 || registry.exitCode !== null) {
      const log = readFileSync(registryLog, 'utf8');
      await stop();
      throw new Error(`the token registry did not answer on ${host}:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    host,
    realm,
    username,
    password,
    lifetimeSeconds,
    registryLog,
    tokenLog,
    tokenRequests: () =>
      readFileSync(tokenLog, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{"time"'))
        .map((line) => JSON.parse(line) as TokenRequest)
        .filter((entry) => entry.path === '/token'),
    stop,
  };
}
