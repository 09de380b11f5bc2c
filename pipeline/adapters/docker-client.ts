import Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';

/** Where the engine is, from DOCKER_HOST like the docker CLI: unix://, tcp:// (TLS with DOCKER_TLS_VERIFY). */
export function dockerFromEnv(env: Readonly<Record<string, string | undefined>>): { docker: Docker; address: string } {
  const host = env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    return { docker: new Docker({ socketPath }), address: host };
  }
  const match = /^(tcp|http|https):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(host);
  if (!match) throw new InputError(`DOCKER_HOST "${host}" is not unix:///path or tcp://host:port`);
  const [, scheme, hostname, port] = match as unknown as [string, string, string, string | undefined];
  const tls = scheme === 'https' || (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '');
  if (!tls)
    return { docker: new Docker({ host: hostname, port: Number(port ?? 2375), protocol: 'http' }), address: host };
  const certs = env.DOCKER_CERT_PATH ?? path.join(env.HOME ?? '', '.docker');
  const read = (name: string): Buffer => readFileSync(path.join(certs, name));
  return {
    docker: new Docker({
      host: hostname,
      port: Number(port ?? 2376),
      protocol: 'https',
      ca: read('ca.pem'),
      cert: read('cert.pem'),
      key: read('key.pem'),
    }),
    address: host,
  };
}
