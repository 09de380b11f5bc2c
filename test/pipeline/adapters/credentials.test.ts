import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveCredentials } from '../../../pipeline/adapters/credentials.js';
import { InputError } from '../../../pipeline/errors.js';

function dockerConfig(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mp-docker-config-'));
  writeFileSync(path.join(dir, 'config.json'), text);
  return dir;
}

describe('resolveCredentials', () => {
  it('prefers REGISTRY_USERNAME and REGISTRY_PASSWORD', async () => {
    expect(await resolveCredentials('127.0.0.1:5001', { REGISTRY_USERNAME: 'u', REGISTRY_PASSWORD: 'p', DOCKER_CONFIG: dockerConfig('{') })).toEqual({ username: 'u', password: 'p' });
  });

  it('reads what docker login stored', async () => {
    const auth = Buffer.from('u:p:with:colons').toString('base64');
    expect(await resolveCredentials('127.0.0.1:5001', { DOCKER_CONFIG: dockerConfig(JSON.stringify({ auths: { '127.0.0.1:5001': { auth } } })) })).toEqual({ username: 'u', password: 'p:with:colons' });
  });

  it('has none without a config file', async () => {
    expect(await resolveCredentials('127.0.0.1:5001', { DOCKER_CONFIG: mkdtempSync(path.join(tmpdir(), 'mp-empty-')) })).toBeUndefined();
  });

  it('refuses a config file that is not JSON, naming it, rather than going on without credentials', async () => {
    const dir = dockerConfig('{ "auths": ');
    const refused = resolveCredentials('127.0.0.1:5001', { DOCKER_CONFIG: dir });
    await expect(refused).rejects.toBeInstanceOf(InputError);
    await expect(refused).rejects.toThrow(`${dir}/config.json is not valid JSON`);
  });

  it.each([
    [{ REGISTRY_USERNAME: 'u' }, /REGISTRY_USERNAME is set but REGISTRY_PASSWORD is not/],
    [{ REGISTRY_PASSWORD: 'p' }, /REGISTRY_PASSWORD is set but REGISTRY_USERNAME is not/],
  ])('refuses half a pair: %o', async (env, message) => {
    await expect(resolveCredentials('127.0.0.1:5001', env)).rejects.toThrow(message);
  });
});
