import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { InputError, ProcessTimeoutError, errorMessage } from '../errors.js';
import type { Clock, Credentials } from '../ports.js';
import { runBounded, type ProcessResult } from './bounded-process.js';
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
  /** Keeps a helper's time limit: the run's clock, passed down from the composition root. */
  clock: Clock;
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
 * and by the run's signal; the helper is killed then, with whatever it started, not waited for.
 */
async function runHelper(helper: string, server: string, options: HelperOptions): Promise<Credentials | undefined> {
  const command = `docker-credential-${helper}`;
  const hint =
    `run \`echo ${server} | ${command} get\` to see what it says, or fix credHelpers/credsStore ` +
    `in the docker config`;
  const refused = (what: string): InputError =>
    new InputError(`${command} get for ${server} ${what} (its output is not shown: it may hold a secret); ${hint}`);
  let result: ProcessResult;
  try {
    result = await runBounded(command, ['get'], {
      input: server,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? HELPER_TIMEOUT_MS,
      clock: options.clock,
      stdoutLimit: HELPER_OUTPUT_LIMIT,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    if (error instanceof ProcessTimeoutError) throw refused(`gave no answer within ${error.timeoutMs / 1000}s`);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new InputError(
        `the docker config names credential helper "${helper}", but ${command} is not on PATH; install ` +
          `it, or fix credHelpers/credsStore in the docker config`,
      );
    throw refused(`could not be started (${code ?? 'error'})`);
  }
  const stdout = result.stdout.toString('utf8');
  if (result.code !== 0) {
    // Helpers exit non-zero with "credentials not found": that is "no credentials", not a failure.
    if (/credentials not found/i.test(stdout)) return undefined;
    throw refused(result.killedBy ? `was killed by ${result.killedBy}` : `failed (exit code ${result.code})`);
  }
  if (result.stdoutBytes > HELPER_OUTPUT_LIMIT) throw refused(`printed more than ${HELPER_OUTPUT_LIMIT} bytes`);
  const answer = parseHelperAnswer(stdout);
  if (answer === 'bad') throw refused(`printed no JSON credentials (${result.stdoutBytes} bytes)`);
  return answer;
}

/**
 * Credentials for `host`: REGISTRY_USERNAME/REGISTRY_PASSWORD from the environment first, else
 * what `docker login` stored in $DOCKER_CONFIG/config.json (inline or through a credential helper).
 */
export async function resolveCredentials(
  host: string,
  env: Readonly<Record<string, string | undefined>>,
  helperOptions: HelperOptions,
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
      `${file} is not valid JSON (${errorMessage(error)}); fix it (docker login writes it), or set ` +
        `REGISTRY_USERNAME and REGISTRY_PASSWORD`,
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
