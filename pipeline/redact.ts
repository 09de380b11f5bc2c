/**
 * Every byte the pipeline writes (stdout, stderr, reports, summaries, GitHub issues) passes
 * through one Redactor that knows the run's secrets. A secret is also hidden in the encoded
 * forms it travels in: base64 of `user:password` (Basic auth, docker config.json) and URL-encoding.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined, username?: string): void {
    if (!secret || secret.length < 4) return;
    this.secrets.add(secret);
    this.secrets.add(encodeURIComponent(secret));
    // Stryker disable next-line Regex: base64 has `=` only as trailing padding
    this.secrets.add(Buffer.from(secret).toString('base64').replace(/=+$/, ''));
    if (username !== undefined) {
      // Stryker disable next-line Regex: base64 has `=` only as trailing padding
      this.secrets.add(Buffer.from(`${username}:${secret}`).toString('base64').replace(/=+$/, ''));
    }
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another is hidden whole.
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(secret).join('***');
    }
    return out;
  }
}

/**
 * The redactor of a process: it knows the secrets the environment hands the pipeline before any
 * command runs (main.ts; tests that run a command in-process build theirs the same way).
 */
export function redactorFromEnv(env: Readonly<Record<string, string | undefined>>): Redactor {
  const redactor = new Redactor();
  redactor.add(env.REGISTRY_PASSWORD, env.REGISTRY_USERNAME);
  redactor.add(env.GITHUB_TOKEN);
  return redactor;
}
