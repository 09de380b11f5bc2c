import { createVerify, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { grant, parseScope, signToken } from '../../scripts/token-service.mjs';

// The token service's pure parts; test/itg/token-auth.itg.test.ts runs it against a real registry.

describe('token service scopes', () => {
  it.each([
    ['repository:ns/app:pull', { type: 'repository', name: 'ns/app', actions: ['pull'] }],
    ['repository:ns/app:pull,push', { type: 'repository', name: 'ns/app', actions: ['pull', 'push'] }],
    ['repository:127.0.0.1:5000/ns/app:*', { type: 'repository', name: '127.0.0.1:5000/ns/app', actions: ['*'] }],
    ['registry:catalog:*', { type: 'registry', name: 'catalog', actions: ['*'] }],
    ['repository:ns/app', undefined],
    ['nonsense', undefined],
  ])('%s', (scope, parsed) => {
    expect(parseScope(scope)).toEqual(parsed);
  });

  it(
    'grants the repository actions asked for, in every scope parameter and space-separated list, and ' + 'nothing else',
    () => {
      expect(
        grant(['repository:a/b:pull,push', 'repository:c/d:pull repository:e/f:delete,fly', 'registry:catalog:*', 'x']),
      ).toEqual([
        { type: 'repository', name: 'a/b', actions: ['pull', 'push'] },
        { type: 'repository', name: 'c/d', actions: ['pull'] },
        { type: 'repository', name: 'e/f', actions: ['delete'] },
      ]);
    },
  );
});

describe('token service tokens', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const config = {
    issuer: 'test-issuer',
    service: 'test-service',
    lifetime: 5,
    privateKey,
    x5c: 'Y2VydA==',
  } as unknown as Parameters<typeof signToken>[0];
  const access = [{ type: 'repository', name: 'ns/app', actions: ['pull'] }];
  const token = signToken(config, 'bot', access, 1_800_000_000);
  const [header, claims, signature] = token.split('.') as [string, string, string];
  const decode = (part: string): unknown => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

  it('is an RS256 JWT carrying its certificate, signed by the key', () => {
    expect(decode(header)).toEqual({ typ: 'JWT', alg: 'RS256', x5c: ['Y2VydA=='] });
    const verify = createVerify('RSA-SHA256').update(`${header}.${claims}`);
    expect(verify.verify(publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
  });

  it('dies `lifetime` seconds after issue, counting the registry’s 60 s of leeway', () => {
    expect(decode(claims)).toEqual({
      iss: 'test-issuer',
      sub: 'bot',
      aud: 'test-service',
      exp: 1_800_000_000 + 5 - 60,
      nbf: 1_800_000_000,
      iat: 1_800_000_000,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      access,
    });
    const again = signToken(config, 'bot', access, 1_800_000_000).split('.')[1] as string;
    expect((decode(again) as { jti: string }).jti).not.toBe((decode(claims) as { jti: string }).jti);
  });
});
