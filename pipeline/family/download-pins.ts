import { parseDockerfile } from './build-features.js';

// What a Dockerfile downloads and how it verifies each file, read from its RUN instructions. The
// convention the production Dockerfiles follow (and test/dockerfiles/ enforces):
//
//   ARG X_URL=https://...          ARG X_SHA256=<hex>        (or X_SHA1, X_SHA512, X_FINGERPRINT)
//   RUN curl -fsSL "$X_URL" -o /tmp/x.tgz && echo "$X_SHA256  /tmp/x.tgz" | sha256sum -c - && ...
//
// A further digest may be optional: `if [ -n "$X_SHA256" ]; then echo ... | sha256sum -c -; fi`.
// A download that differs per architecture pins each one, the RUN picking by TARGETARCH:
//
//   ARG X_SHA256_AMD64=<hex>  ARG X_SHA256_ARM64=<hex>
//   RUN case "${TARGETARCH:-amd64}" in amd64) X_SHA256=$X_SHA256_AMD64 ;; ... esac && curl ...
//
// and the value of X_SHA256 for a build is then that of its architecture (TARGETARCH, default amd64).
// `publish` reads this before building, so an empty pin stops the run in seconds, not after the
// compile that comes before the download.

export type DigestAlgorithm = 'sha1' | 'sha256' | 'sha512' | 'fingerprint';

export interface DigestCheck {
  /** The build arg holding the digest: MARATHON_SHA1. */
  arg: string;
  algorithm: DigestAlgorithm;
  /** The tool the RUN checks it with (sha1, sha256, sha512), when that is a sum. */
  tool?: string;
  /** Its value for this build: the plan's build arg, else the ARG default, else ''. */
  value: string;
  /** The check is skipped when the value is empty. */
  optional: boolean;
}

export interface Download {
  /** The build arg naming the URL (MARATHON_URL), or undefined when the URL is written inline. */
  urlArg?: string;
  /** The URL as written when it is not a build arg. */
  inlineUrl?: string;
  /** Where the RUN saves it. */
  file: string;
  checks: DigestCheck[];
  /** The full RUN text, for messages and further rules. */
  run: string;
}

const DIGEST_LENGTH: Record<DigestAlgorithm, number> = { sha1: 40, sha256: 64, sha512: 128, fingerprint: 40 };

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every ARG default of the file, global and per stage (a later declaration wins). */
export function argDefaultsOf(dockerfile: string): Map<string, string | undefined> {
  const defaults = new Map<string, string | undefined>();
  for (const instruction of parseDockerfile(dockerfile).getInstructions()) {
    if (instruction.getKeyword() !== 'ARG') continue;
    const [assignment = ''] = instruction.getArguments().map((argument) => argument.getValue());
    const eq = assignment.indexOf('=');
    const name = eq < 0 ? assignment : assignment.slice(0, eq);
    // A bare `ARG NAME` in a later stage re-declares the global default; it does not clear it.
    if (eq >= 0 || !defaults.has(name)) defaults.set(name, eq < 0 ? undefined : assignment.slice(eq + 1));
  }
  return defaults;
}

/** The downloads of a Dockerfile and the digest checks of each, with this build's values. */
export function downloadsOf(dockerfile: string, buildArgs: Readonly<Record<string, string>> = {}): Download[] {
  const defaults = argDefaultsOf(dockerfile);
  const arch = (buildArgs.TARGETARCH || 'amd64').toUpperCase();
  // A per-architecture pin stands for the digest arg the RUN sets from it, whatever that arg held
  // before: the documented pattern (`case "$TARGETARCH" in amd64) X_SHA256=$X_SHA256_AMD64 ;; …`)
  // overwrites it, so the pin is what the build checks, even beside an `ARG X_SHA256=` or a
  // --build-arg X_SHA256.
  const argOf = (arg: string): string => (defaults.has(`${arg}_${arch}`) ? `${arg}_${arch}` : arg);
  const valueOf = (arg: string): string => buildArgs[arg] ?? defaults.get(arg) ?? '';
  const downloads: Download[] = [];
  for (const instruction of parseDockerfile(dockerfile).getInstructions()) {
    if (instruction.getKeyword() !== 'RUN') continue;
    const run = instruction.getArgumentsContent() ?? '';
    for (const match of run.matchAll(/\b(?:curl|wget)\s+-[^&|;]*?(\S+:\/\/\S+|"\$\{?(\w+)\}?")[^&|;]*?-[oO] (\S+)/g)) {
      const [, source = '', urlArg, file = ''] = match;
      const prefix = (urlArg ?? '').replace(/_URL$/, '');
      const checks: DigestCheck[] = [];
      if (urlArg) {
        const sums = new RegExp(
          `"\\$(${prefix}_SHA(1|256|512))  ${escapeRegex(file)}" \\| sha(1|256|512)sum -c -`,
          'g',
        );
        for (const [, named = '', bits = '', tool = ''] of run.matchAll(sums)) {
          const arg = argOf(named);
          checks.push({
            arg,
            algorithm: `sha${bits}` as DigestAlgorithm,
            tool: `sha${tool}`,
            value: valueOf(arg),
            optional: run.includes(`if [ -n "$${named}" ]; then`),
          });
        }
        const fingerprint = `${prefix}_FINGERPRINT`;
        if (new RegExp(`\\$${fingerprint}\\b`).test(run))
          checks.push({ arg: fingerprint, algorithm: 'fingerprint', value: valueOf(fingerprint), optional: false });
      }
      downloads.push({ ...(urlArg ? { urlArg } : { inlineUrl: source }), file, checks, run });
    }
  }
  return downloads;
}

/** Whether `value` is a well-formed digest for `algorithm` (hex; fingerprints upper case). */
export function wellFormed(algorithm: DigestAlgorithm, value: string): boolean {
  const hex = algorithm === 'fingerprint' ? '[0-9A-F]' : '[0-9a-f]';
  return new RegExp(`^${hex}{${DIGEST_LENGTH[algorithm]}}$`).test(value);
}

/**
 * The downloads this build would make without a pinned value to check them against: every
 * required digest must be well formed, and at least one digest per download must be set.
 * Returns one short phrase per problem, for a one-line preflight message.
 */
export function unpinnedDownloads(dockerfile: string, buildArgs: Readonly<Record<string, string>> = {}): string[] {
  const problems: string[] = [];
  for (const download of downloadsOf(dockerfile, buildArgs)) {
    const name = download.urlArg ?? download.inlineUrl ?? download.file;
    const required = download.checks.filter((check) => !check.optional);
    const bad = download.checks.filter(
      (check) => (!check.optional || check.value !== '') && !wellFormed(check.algorithm, check.value),
    );
    if (download.checks.length === 0) problems.push(`${name} is not checked against any digest`);
    else if (required.length === 0 && download.checks.every((check) => check.value === ''))
      problems.push(`${name} has no digest set (${download.checks.map((check) => check.arg).join(' or ')})`);
    for (const check of bad)
      problems.push(
        check.value === ''
          ? `${check.arg} is empty`
          : `${check.arg} is not a ${check.algorithm} digest (${JSON.stringify(check.value.slice(0, 20))})`,
      );
  }
  return problems;
}
