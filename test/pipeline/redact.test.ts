import { describe, expect, it } from 'vitest';
import { Redactor, redactorFromEnv } from '../../pipeline/redact.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

function redactorWith(...secrets: [string, string?][]): Redactor {
  const redactor = new Redactor();
  for (const [secret, username] of secrets) redactor.add(secret, username);
  return redactor;
}

describe('Redactor.redact', () => {
  // `canary-user:` is 12 bytes, a whole number of base64 groups: the base64 of `user:secret` then
  // ends with the base64 of the secret alone, and hiding that part first would leave the username.
  it.each<[string, [string, string?][], string, string]>([
    [
      'Basic auth of user:secret, whole, username included',
      [['canary-pass-0123', 'canary-user']],
      `Authorization: Basic ${b64('canary-user:canary-pass-0123')}`,
      'Authorization: Basic ***==',
    ],
    [
      'a secret that contains another, added shorter first',
      [['token-0123'], ['token-0123-suffix']],
      'GITHUB_TOKEN=token-0123-suffix and REGISTRY=token-0123',
      'GITHUB_TOKEN=*** and REGISTRY=***',
    ],
    [
      'a secret that contains another, added longer first',
      [['token-0123-suffix'], ['token-0123']],
      'GITHUB_TOKEN=token-0123-suffix and REGISTRY=token-0123',
      'GITHUB_TOKEN=*** and REGISTRY=***',
    ],
    ['every occurrence, not only the first', [['hunter22']], 'hunter22 hunter22\nhunter22', '*** ***\n***'],
    ['the URL-encoded form', [['pa ss/wd?']], `https://u:${encodeURIComponent('pa ss/wd?')}@h`, 'https://u:***@h'],
    ['base64 of the secret alone, padding left', [['secret1']], `auth=${b64('secret1')}`, 'auth=***=='],
    ['a four-character secret', [['abcd']], 'xabcdx', 'x***x'],
    ['a three-character value is too short to hide', [['abc']], 'xabcx', 'xabcx'],
    ['nothing to hide', [], 'plain text', 'plain text'],
  ])('%s', (_, secrets, text, expected) => {
    const out = redactorWith(...secrets).redact(text);
    expect(out).toBe(expected);
  });

  it('never shows the username of a Basic auth pair next to a redacted tail', () => {
    const out = redactorWith(['canary-pass-0123', 'canary-user']).redact(b64('canary-user:canary-pass-0123'));
    expect(out).not.toContain(b64('canary-user:'));
    expect(out).not.toMatch(/\*\*\*-suffix|[A-Za-z0-9+/]{4,}\*\*\*/);
  });

  it('hides the Basic auth form of the username it is given', () => {
    // A 13-byte `user:` prefix: the base64 of the pair does not contain the base64 of the secret.
    const basic = b64('other-user12:secret-value');
    expect(redactorWith(['secret-value']).redact(basic)).toBe(basic);
    expect(redactorWith(['secret-value', 'other-user12']).redact(basic)).toBe('***==');
  });
});

describe('redactorFromEnv', () => {
  it('knows the registry password (with its Basic auth pair) and the GitHub token of the environment', () => {
    const redactor = redactorFromEnv({
      REGISTRY_USERNAME: 'canary-user',
      REGISTRY_PASSWORD: 'canary-pass-0123',
      GITHUB_TOKEN: 'ghp_token0123',
      OTHER: 'not-a-secret',
    });
    expect(redactor.redact(`canary-pass-0123 ${b64('canary-user:canary-pass-0123')} ghp_token0123 not-a-secret`)).toBe(
      '*** ***== *** not-a-secret',
    );
  });

  it('hides nothing in an environment without secrets', () => {
    expect(redactorFromEnv({ REGISTRY_USERNAME: 'canary-user' }).redact('canary-user')).toBe('canary-user');
  });
});
