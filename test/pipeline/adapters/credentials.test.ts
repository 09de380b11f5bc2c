import { chmodSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveCredentials } from '../../../pipeline/adapters/credentials.js';
import { InputError } from '../../../pipeline/errors.js';
import { writeTree } from '../../helpers/temp-files.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
afterEach(() => vi.unstubAllEnvs());

describe('resolveCredentials', () => {
  it('takes REGISTRY_USERNAME and REGISTRY_PASSWORD first', async () => {
    const config = writeTree({ 'config.json': JSON.stringify({ auths: { 'r.io': { auth: b64('other:pw') } } }) });
    expect(
      await resolveCredentials('r.io', { REGISTRY_USERNAME: 'bot', REGISTRY_PASSWORD: 'pw1', DOCKER_CONFIG: config }),
    ).toEqual({ username: 'bot', password: 'pw1' });
  });

  it.each([
    [{ REGISTRY_USERNAME: 'bot' }, /REGISTRY_USERNAME is set but REGISTRY_PASSWORD is not/],
    [{ REGISTRY_PASSWORD: 'pw' }, /REGISTRY_PASSWORD is set but REGISTRY_USERNAME is not/],
  ])('refuses half a pair %o', async (env, message) => {
    await expect(resolveCredentials('r.io', env)).rejects.toThrow(message);
  });

  it.each([
    [
      '127.0.0.1:5001',
      { '127.0.0.1:5001': { auth: b64('u1:p:with:colons') } },
      { username: 'u1', password: 'p:with:colons' },
    ],
    ['ghcr.io', { 'https://ghcr.io': { auth: b64('u2:p2') } }, { username: 'u2', password: 'p2' }],
    ['docker.io', { 'https://index.docker.io/v1/': { auth: b64('hub:p3') } }, { username: 'hub', password: 'p3' }],
    ['quay.io', { 'docker.io': { auth: b64('hub:p3') } }, undefined],
  ])('reads docker login for %s', async (host, auths, expected) => {
    const config = writeTree({ 'config.json': JSON.stringify({ auths }) });
    expect(await resolveCredentials(host, { DOCKER_CONFIG: config })).toEqual(expected);
  });

  it('asks a credential helper, with the server on stdin', async () => {
    const bin = writeTree({
      'docker-credential-fake':
        '#!/bin/sh\nread server\n[ "$1" = get ] && [ "$server" = "r.io" ] && echo \'{"Username":"helper","Secret":"from-helper"}\' && exit 0\necho "credentials not found in native keychain"; exit 1\n',
    });
    chmodSync(path.join(bin, 'docker-credential-fake'), 0o755);
    vi.stubEnv('PATH', `${bin}:${process.env.PATH ?? ''}`);
    const config = writeTree({ 'config.json': JSON.stringify({ credHelpers: { 'r.io': 'fake' } }) });
    expect(await resolveCredentials('r.io', { DOCKER_CONFIG: config })).toEqual({
      username: 'helper',
      password: 'from-helper',
    });
  });

  it('refuses a config file that is not JSON, naming it, rather than going on without credentials', async () => {
    const dir = writeTree({ 'config.json': '{ "auths": ' });
    const refused = resolveCredentials('127.0.0.1:5001', { DOCKER_CONFIG: dir });
    await expect(refused).rejects.toBeInstanceOf(InputError);
    await expect(refused).rejects.toThrow(`${dir}/config.json is not valid JSON`);
  });

  it('has none without a config', async () => {
    expect(await resolveCredentials('r.io', { DOCKER_CONFIG: '/nonexistent' })).toBeUndefined();
  });
});
