import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { InputError, errorMessage } from '../errors.js';
import type { Credentials } from '../ports.js';
import { DOCKER_HUB } from '../../tags/index.js';

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The keys `docker login` may have stored a registry under. */
function configKeys(host: string): string[] {
  if (host === DOCKER_HUB)
    return [
      'https://index.docker.io/v1/',
      'index.docker.io',
      'docker.io',
      'registry-1.docker.io',
      'https://registry-1.docker.io',
    ];
  return [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
}

/** How long a credential helper may take (a keychain may ask for a password; CI has none). */
export const HELPER_TIMEOUT_MS = 30_000;
// A credential is a few KiB at most; more is not a credential, and is not kept.
const HELPER_OUTPUT_LIMIT = 64 * 1024;

export interface HelperOptions {
  /** The run's signal: an interrupted run does not wait for a helper. */
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

/** A JSON object with string Username and Secret, or undefined for an empty answer; else a problem. */
function parseHelperAnswer(stdout: string): Credentials | undefined | 'bad' {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return 'bad';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'bad';
  const { Username: username, Secret: password } = parsed as { Username?: unknown; Secret?: unknown };
  if (
    (username !== undefined && typeof username !== 'string') ||
    (password !== undefined && typeof password !== 'string')
  )
    return 'bad';
  return username && password ? { username, password } : undefined;
}

/**
 * Runs `docker-credential-<helper> get` with `server` on stdin. Every failure is bad input (exit
 * 2: the machine's docker config names a helper that does not work) with a one-line message that
 * never holds the helper's output: that output is, or may hold, the secret. Bounded by `timeoutMs`
 * and by the run's signal; the helper is killed then, not waited for.
 */
function runHelper(helper: string, server: string, options: HelperOptions): Promise<Credentials | undefined> {
  const command = `docker-credential-${helper}`;
  const timeoutMs = options.timeoutMs ?? HELPER_TIMEOUT_MS;
  const { signal } = options;
  const hint = `run \`echo ${server} | ${command} get\` to see what it says, or fix credHelpers/credsStore in the docker config`;
  const refused = (what: string): InputError =>
    new InputError(`${command} get for ${server} ${what} (its output is not shown: it may hold a secret); ${hint}`);
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    // Its own process group, so that stopping it stops whatever it started too.
    const child = spawn(command, ['get'], { stdio: ['pipe', 'pipe', 'ignore'], detached: true });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    // Killed, not waited for: a helper that ignores SIGTERM, or left a child holding its output
    // open, must not hold the run. Its streams go with it.
    const stop = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      child.stdout.destroy();
      child.stdin.destroy();
    };
    const onAbort = (): void =>
      finish(() => {
        stop();
        reject(signal?.reason as Error);
      });
    const timer = setTimeout(
      () =>
        finish(() => {
          stop();
          reject(refused(`gave no answer within ${timeoutMs / 1000}s`));
        }),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= HELPER_OUTPUT_LIMIT) chunks.push(chunk);
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      finish(() =>
        reject(
          error.code === 'ENOENT'
            ? new InputError(
                `the docker config names credential helper "${helper}", but ${command} is not on PATH; install it, or fix credHelpers/credsStore in the docker config`,
              )
            : refused(`could not be started (${error.code ?? 'error'})`),
        ),
      ),
    );
    child.on('close', (code, killedBy) =>
      finish(() => {
        const stdout = Buffer.concat(chunks).toString('utf8');
        if (code !== 0) {
          // Helpers exit non-zero with "credentials not found": that is "no credentials", not a failure.
          if (/credentials not found/i.test(stdout)) return resolve(undefined);
          return reject(refused(killedBy ? `was killed by ${killedBy}` : `failed (exit code ${code})`));
        }
        if (size > HELPER_OUTPUT_LIMIT) return reject(refused(`printed more than ${HELPER_OUTPUT_LIMIT} bytes`));
        const answer = parseHelperAnswer(stdout);
        if (answer === 'bad') return reject(refused(`printed no JSON credentials (${size} bytes)`));
        resolve(answer);
      }),
    );
    // A helper may exit without reading its stdin (docker itself ignores that too): its exit code
    // and output decide, never the EPIPE of this write.
    child.stdin.on('error', () => undefined);
    // The server URL goes on stdin, never on the command line; so would anything secret.
    child.stdin.end(server);
  });
}

/**
 * Credentials for `host`: REGISTRY_USERNAME/REGISTRY_PASSWORD from the environment first, else
 * what `docker login` stored in $DOCKER_CONFIG/config.json (inline or through a credential helper).
 */
export async function resolveCredentials(
  host: string,
  env: Readonly<Record<string, string | undefined>>,
  helperOptions: HelperOptions = {},
): Promise<Credentials | undefined> {
  const username = env.REGISTRY_USERNAME;
  const password = env.REGISTRY_PASSWORD;
  if (username && password) return { username, password };
  if (username && !password)
    throw new InputError(
      'REGISTRY_USERNAME is set but REGISTRY_PASSWORD is not; set both, or neither to use docker login',
    );
  if (password && !username)
    throw new InputError(
      'REGISTRY_PASSWORD is set but REGISTRY_USERNAME is not; set both, or neither to use docker login',
    );

  const dir = env.DOCKER_CONFIG ?? path.join(env.HOME ?? homedir(), '.docker');
  const file = path.join(dir, 'config.json');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let config: DockerConfig;
  try {
    config = JSON.parse(text) as DockerConfig;
  } catch (error) {
    // Ignoring it would end in a registry's "credentials are needed", which sends people the wrong way.
    throw new InputError(
      `${file} is not valid JSON (${errorMessage(error)}); fix it (docker login writes it), or set REGISTRY_USERNAME and REGISTRY_PASSWORD`,
    );
  }
  const keys = configKeys(host);
  const helper = keys.map((key) => config.credHelpers?.[key]).find(Boolean) ?? config.credsStore;
  if (helper) {
    for (const key of keys) {
      const found = await runHelper(helper, key, helperOptions);
      if (found) return found;
    }
  }
  for (const key of keys) {
    const entry = config.auths?.[key];
    if (entry?.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry?.username && entry.password) return { username: entry.username, password: entry.password };
  }
  return undefined;
}
