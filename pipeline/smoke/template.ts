/** The variables a smoke.json may use, as `${NAME}`: facts of the build being tested. */
export const TEMPLATE_VARIABLES = [
  'GIT_REPO',
  'GIT_SHA',
  'GIT_SHORT_SHA',
  'GIT_BRANCH',
  'VERSION',
  'VERSION_PATTERN',
  'IMAGE_NAME',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Record<TemplateVariable, string>;

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names used in `text` that are not template variables. */
export function unknownVariables(text: string): string[] {
  return [...text.matchAll(REFERENCE)]
    .map((match) => match[1] as string)
    .filter((name) => !(TEMPLATE_VARIABLES as readonly string[]).includes(name));
}

/** Replaces `${NAME}` in every string inside `value`, keys included; other values are kept. */
export function expand<T>(value: T, values: TemplateValues): T {
  const substitute = (text: string): string =>
    text.replace(REFERENCE, (whole, name: string) => (name in values ? values[name as TemplateVariable] : whole));
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return substitute(node);
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object')
      return Object.fromEntries(Object.entries(node).map(([key, child]) => [substitute(key), walk(child)]));
    return node;
  };
  return walk(value) as T;
}

/** Plausible values for validating a spec before any build: regexes must compile with them. */
export const SAMPLE_VALUES: TemplateValues = {
  GIT_REPO: 'https://github.com/apache/mesos.git',
  GIT_SHA: '0123456789abcdef0123456789abcdef01234567',
  GIT_SHORT_SHA: '0123456789ab',
  GIT_BRANCH: '1.11.x',
  VERSION: '1.11.x',
  VERSION_PATTERN: '1\\.11\\.\\d+',
  IMAGE_NAME: 'image',
};
