import { readFileSync } from 'node:fs';
import Docker from 'dockerode';

/** The local stack engine-up.sh started, read from its env file. */
export interface Stack {
  dockerHost: string;
  socketPath: string;
  stateDir: string;
  registry: string;
  registryLog: string;
  authRegistry: string;
  authRegistryLog: string;
  username: string;
  password: string;
  baseImage: string;
}

export function readStack(): Stack {
  const stateDir = process.env.MP_STATE_DIR ?? '/var/tmp/mesos-pipeline-engine';
  const values = new Map<string, string>();
  for (const line of readFileSync(`${stateDir}/env`, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
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
