import type { EnvVar } from './spec-schema.js';

// container-structure-test expands the values of globalEnvVars and envVars with Go's os.Expand
// against the image's environment: `PATH=/env/bin:$PATH` extends the image's PATH.

const SPECIAL = new Set([...'*#$@!?-0123456789']);
const NAME_CHAR = /[A-Za-z0-9_]/;

/** The variable name after a `$` (Go's getShellName): the name and how many characters it took. */
function shellName(rest: string): [name: string, width: number] {
  if (rest[0] === '{') {
    if (rest.length > 2 && SPECIAL.has(rest[1] as string) && rest[2] === '}') return [rest[1] as string, 3];
    const close = rest.indexOf('}');
    if (close === 1) return ['', 2]; // `${}`: bad syntax, eaten
    if (close < 0) return ['', 1]; // `${` without an end: bad syntax, eaten
    return [rest.slice(1, close), close + 1];
  }
  if (SPECIAL.has(rest[0] as string)) return [rest[0] as string, 1];
  let width = 0;
  while (width < rest.length && NAME_CHAR.test(rest[width] as string)) width += 1;
  return [rest.slice(0, width), width];
}

/** Go's os.Expand: `$NAME` and `${NAME}` replaced by `lookup(NAME)` (unset: empty); a lone `$` stays. */
export function goExpand(text: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (char !== '$' || i + 1 >= text.length) {
      out += char;
      i += 1;
      continue;
    }
    const [name, width] = shellName(text.slice(i + 1));
    if (name === '' && width === 0) out += '$';
    else if (name !== '') out += lookup(name) ?? '';
    i += 1 + width;
  }
  return out;
}

/** `KEY=value` lines of an image's config as a map (the first `=` splits). */
export function envMap(lines: readonly string[]): Map<string, string> {
  return new Map(
    lines.map((line) => {
      const split = line.indexOf('=');
      return split < 0 ? [line, ''] : [line.slice(0, split), line.slice(split + 1)];
    }),
  );
}

/** The variables to set, each value expanded against `env` (not against each other, as in c-s-t). */
export function resolveEnvVars(vars: readonly EnvVar[], env: ReadonlyMap<string, string>): Record<string, string> {
  return Object.fromEntries(vars.map(({ key, value }) => [key, goExpand(value, (name) => env.get(name))]));
}
