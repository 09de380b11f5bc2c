import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { InputError, WorkError, errorMessage } from '../errors.js';
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

function runHelper(helper: string, server: string): Promise<Credentials | undefined> {
  return new Promise((resolve, reject) => {
    const child = execFile(`docker-credential-${helper}`, ['get'], { timeout: 30_000 }, (error, stdout) => {
      if (error) {
        // Helpers exit non-zero with "credentials not found": that is "no credentials", not a failure.
        if (/not found/i.test(stdout) || /not found/i.test(errorMessage(error))) return resolve(undefined);
        return reject(
          new WorkError(
            'credentials',
            `docker-credential-${helper} failed for ${server}: ${errorMessage(error).split('\n')[0]}`,
          ),
        );
      }
      const parsed = JSON.parse(stdout) as { Username?: string; Secret?: string };
      resolve(parsed.Username && parsed.Secret ? { username: parsed.Username, password: parsed.Secret } : undefined);
    });
    // The server URL goes on stdin, never on the command line; so would anything secret.
    child.stdin?.end(server);
  });
}

/**
 * Credentials for `host`: REGISTRY_USERNAME/REGISTRY_PASSWORD from the environment first, else
 * what `docker login` stored in $DOCKER_CONFIG/config.json (inline or through a credential helper).
 */
export async function resolveCredentials(
  host: string,
  env: Readonly<Record<string, string | undefined>>,
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
      const found = await runHelper(helper, key);
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
