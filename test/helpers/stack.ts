import { existsSync, readFileSync } from 'node:fs';
import Docker from 'dockerode';

/** The local stack engine-up.sh started, read from its env file. */
export interface Stack {
  dockerHost: string;
  socketPath: string;
  stateDir: string;
  registry: string;
  registryLog: string;
  /** The htpasswd (Basic auth) registry. */
  authRegistry: string;
  authRegistryLog: string;
  /** The token-auth registry (Docker Hub's flow); its token service takes `username`/`password`. */
  tokenRegistry: string;
  tokenRegistryLog: string;
  /** The token service's endpoint, as the token registry's challenge names it. */
  tokenRealm: string;
  tokenServiceLog: string;
  /** How long the shared token service's tokens live, in seconds (300, like Docker Hub's). */
  tokenLifetimeSeconds: number;
  /** The account of both the htpasswd registry and the token service. */
  username: string;
  password: string;
  baseImage: string;
}

export function readStack(): Stack {
  const stateDir = process.env.MP_STATE_DIR ?? '/var/tmp/mesos-pipeline-engine';
  const values = new Map<string, string>();
  // The token registry's keys also live in a file of their own: every checkout shares one stack,
  // and an engine-up.sh from before the token registry rewrites the env file without them.
  for (const file of [`${stateDir}/token-service/env`, `${stateDir}/env`]) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
    }
  }
  const get = (key: string): string => {
    const value = values.get(key);
    if (value === undefined) throw new Error(`${stateDir}/env has no ${key}; run scripts/engine-up.sh`);
    return value;
  };
  const dockerHost = get('DOCKER_HOST');
  return {
    dockerHost,
    socketPath: dockerHost.replace(/^unix:\/\//, ''),
    stateDir: get('MP_STATE_DIR'),
    registry: get('MP_REGISTRY'),
    registryLog: get('MP_REGISTRY_LOG'),
    authRegistry: get('MP_AUTH_REGISTRY'),
    authRegistryLog: get('MP_AUTH_REGISTRY_LOG'),
    tokenRegistry: get('MP_TOKEN_REGISTRY'),
    tokenRegistryLog: get('MP_TOKEN_REGISTRY_LOG'),
    tokenRealm: get('MP_TOKEN_REALM'),
    tokenServiceLog: get('MP_TOKEN_SERVICE_LOG'),
    tokenLifetimeSeconds: Number(get('MP_TOKEN_LIFETIME')),
    username: readFileSync(get('MP_AUTH_USERNAME_FILE'), 'utf8').trim(),
    password: readFileSync(get('MP_AUTH_PASSWORD_FILE'), 'utf8').trim(),
    baseImage: get('MP_BASE_IMAGE'),
  };
}

export function dockerOf(stack: Stack): Docker {
  return new Docker({ socketPath: stack.socketPath });
}

/** A short unique suffix for names, so parallel tests never share an image or repository. */
export function uniqueId(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
