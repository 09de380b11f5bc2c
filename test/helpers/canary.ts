/**
 * The canary credentials every test that sets credentials uses. They must never show up anywhere
 * the pipeline writes or pushes; `leaks` finds them in the forms a secret travels in.
 */
export const CANARY_USER = 'canary-user';
export const CANARY_PASSWORD = 'Canary+Pass/7f3Q9x=never-print-me';

/** The forms a secret can take in text: raw, URL-encoded, base64 and base64url at any alignment. */
export function secretForms(secret: string, user?: string): string[] {
  const forms = new Set<string>([secret, encodeURIComponent(secret)]);
  const payloads = [Buffer.from(secret), ...(user === undefined ? [] : [Buffer.from(`${user}:${secret}`)])];
  for (const payload of payloads) {
    for (let offset = 0; offset < 3; offset += 1) {
      // Inside a longer base64 text the secret starts at any byte offset; the edges depend on its
      // neighbours, the middle only on the secret itself.
      const encoded = Buffer.concat([Buffer.alloc(offset), payload]).toString('base64');
      const middle = encoded.slice(offset === 0 ? 0 : 4, -4);
      forms.add(middle);
      forms.add(middle.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return [...forms];
}

const CANARY_FORMS = secretForms(CANARY_PASSWORD, CANARY_USER);

/** The canary forms found in `content` (text or bytes); empty when it is clean. */
export function leaks(content: string | Buffer, forms: readonly string[] = CANARY_FORMS): string[] {
  const text = typeof content === 'string' ? content : content.toString('latin1');
  return forms.filter((form) => text.includes(form));
}

/** The environment a run gets its canary credentials from. */
export function canaryEnv(): Record<string, string> {
  return { REGISTRY_USERNAME: CANARY_USER, REGISTRY_PASSWORD: CANARY_PASSWORD };
}
