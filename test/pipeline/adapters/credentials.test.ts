import { chmodSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveCredentials } from '../../../pipeline/adapters/credentials.js';
import { InputError } from '../../../pipeline/errors.js';
import { HandClock } from '../../helpers/hand-clock.js';
import { writeTree } from '../../helpers/temp-files.js';
import { systemClock } from '../../../pipeline/adapters/clock.js';

const onSystemClock = { clock: systemClock };

const b64 = (text: string): string => Buffer.from(text).toString('base64');
afterEach(() => vi.unstubAllEnvs());

describe('resolveCredentials', () => {
  it('takes REGISTRY_USERNAME and REGISTRY_PASSWORD first', async () => {
    const config = writeTree({ 'config.json': JSON.stringify({ auths: { 'r.io': { auth: b64('other:pw') } } }) });
    expect(
      await resolveCredentials(
        'r.io',
        { REGISTRY_USERNAME: 'bot', REGISTRY_PASSWORD: 'pw1', DOCKER_CONFIG: config },
        onSystemClock,
      ),
    ).toEqual({ username: 'bot', password: 'pw1' });
  });

  it.each([
    [{ REGISTRY_USERNAME: 'bot' }, /REGISTRY_USERNAME is set but REGISTRY_PASSWORD is not/],
    [{ REGISTRY_PASSWORD: 'pw' }, /REGISTRY_PASSWORD is set but REGISTRY_USERNAME is not/],
  ])('refuses half a pair %o', async (env, message) => {
    await expect(resolveCredentials('r.io', env, onSystemClock)).rejects.toThrow(message);
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
    expect(await resolveCredentials(host, { DOCKER_CONFIG: config }, onSystemClock)).toEqual(expected);
  });

  it('asks a credential helper, with the server on stdin', async () => {
    const bin = writeTree({
      'docker-credential-fake':
        '#!/bin/sh\nread server\n[ "$1" = get ] && [ "$server" = "r.io" ] && echo ' +
        '\'{"Username":"helper","Secret":"from-helper"}\' && exit 0\necho "credentials not found in ' +
        'native keychain"; exit 1\n',
    });
    chmodSync(path.join(bin, 'docker-credential-fake'), 0o755);
    vi.stubEnv('PATH', `${bin}:${process.env.PATH ?? ''}`);
    const config = writeTree({ 'config.json': JSON.stringify({ credHelpers: { 'r.io': 'fake' } }) });
    expect(await resolveCredentials('r.io', { DOCKER_CONFIG: config }, onSystemClock)).toEqual({
      username: 'helper',
      password: 'from-helper',
    });
  });

  it('refuses a config file that is not JSON, naming it, rather than going on without credentials', async () => {
    const dir = writeTree({ 'config.json': '{ "auths": ' });
    const refused = resolveCredentials('127.0.0.1:5001', { DOCKER_CONFIG: dir }, onSystemClock);
    await expect(refused).rejects.toBeInstanceOf(InputError);
    await expect(refused).rejects.toThrow(`${dir}/config.json is not valid JSON`);
  });

  describe('a credential helper that misbehaves', () => {
    const SECRET = 'helper-secret-Zq81x';
    /** A config naming helper `fake` for r.io, and that helper on PATH with `script` as its body. */
    const withHelper = (script: string): string => {
      const bin = writeTree({ 'docker-credential-fake': `#!/bin/sh\n${script}\n` });
      chmodSync(path.join(bin, 'docker-credential-fake'), 0o755);
      vi.stubEnv('PATH', `${bin}:${process.env.PATH ?? ''}`);
      return writeTree({ 'config.json': JSON.stringify({ credHelpers: { 'r.io': 'fake' } }) });
    };
    const refusal = async (config: string, signal?: AbortSignal): Promise<Error> =>
      resolveCredentials('r.io', { DOCKER_CONFIG: config }, { clock: systemClock, ...(signal ? { signal } : {}) }).then(
        () => new Error('no error'),
        (error: unknown) => error as Error,
      );

    it.each([
      ['prints no JSON', `cat >/dev/null; echo "${SECRET}"`, /printed no JSON credentials/],
      ['prints JSON that is no credential', `cat >/dev/null; echo '"${SECRET}"'`, /printed no JSON credentials/],
      ['prints JSON null', 'cat >/dev/null; echo null', /printed no JSON credentials/],
      ['fails', `cat >/dev/null; echo "${SECRET}"; echo "${SECRET}" >&2; exit 3`, /failed \(exit code 3\)/],
    ])('that %s: exit 2, one line, none of its output', async (_, script, message) => {
      const error = await refusal(withHelper(script));
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(/^docker-credential-fake get for r\.io /);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(SECRET);
      expect(error.message).not.toContain('\n');
    });

    it('that exits without reading stdin: its exit code counts, never EPIPE', async () => {
      // Whether the write of the server name meets a closed pipe is a race: ask many times.
      const config = withHelper(`exec 0<&-; echo "${SECRET}"; exit 1`);
      for (let attempt = 0; attempt < 10; attempt += 1) {
        const error = await refusal(config);
        expect(error).toBeInstanceOf(InputError);
        expect(error.message).toMatch(/^docker-credential-fake get for r\.io failed \(exit code 1\)/);
        expect(error.message).not.toContain(SECRET);
      }
    });

    it('that answers without reading stdin is believed, as docker does', async () => {
      const config = withHelper(`exec 0<&-; echo '{"Username":"u","Secret":"${SECRET}"}'`);
      for (let attempt = 0; attempt < 10; attempt += 1)
        expect(await resolveCredentials('r.io', { DOCKER_CONFIG: config }, onSystemClock)).toEqual({
          username: 'u',
          password: SECRET,
        });
    });

    it('that never answers: stopped at its time limit, exit 2', async () => {
      const config = withHelper(`trap '' TERM; echo "${SECRET}"; sleep 30 & wait; sleep 30`);
      const started = Date.now();
      const error = await resolveCredentials(
        'r.io',
        { DOCKER_CONFIG: config },
        { clock: systemClock, timeoutMs: 300 },
      ).then(
        () => new Error('no error'),
        (caught: unknown) => caught as Error,
      );
      expect(Date.now() - started).toBeLessThan(5000);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(/^docker-credential-fake get for r\.io gave no answer within 0\.3s/);
      expect(error.message).not.toContain(SECRET);
    });

    it('that never answers: its time limit is kept on the clock it was given', async () => {
      const config = withHelper(`trap '' TERM; sleep 30 & wait; sleep 30`);
      const clock = new HandClock();
      const pending = resolveCredentials('r.io', { DOCKER_CONFIG: config }, { clock, timeoutMs: 60_000 }).then(
        () => new Error('no error'),
        (caught: unknown) => caught as Error,
      );
      // The helper is started and waits; on the system clock this would take a minute.
      for (let waited = 0; clock.pending === 0 && waited < 3000; waited += 20)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(clock.asked).toEqual([60_000]);
      clock.fireAll();
      const error = await pending;
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(/^docker-credential-fake get for r\.io gave no answer within 60s/);
    });

    it("that never answers: stopped by the run's signal, with the signal's reason", async () => {
      const config = withHelper(`trap '' TERM; sleep 30 & wait; sleep 30`);
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('interrupted by SIGTERM')), 200);
      const started = Date.now();
      const error = await refusal(config, controller.signal);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(error.message).toBe('interrupted by SIGTERM');
    });
  });

  it('has none without a config', async () => {
    expect(await resolveCredentials('r.io', { DOCKER_CONFIG: '/nonexistent' }, onSystemClock)).toBeUndefined();
  });
});
