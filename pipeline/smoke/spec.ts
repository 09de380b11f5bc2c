import { formatPath, zodProblems } from '../family/zod-problems.js';
import { errorMessage } from '../errors.js';
import { smokeSpecSchema, type SmokeSpec } from './spec-schema.js';
import { expand, SAMPLE_VALUES, TEMPLATE_VARIABLES, unknownVariables } from './template.js';

// Fields whose strings are regular expressions (matched against output, contents or bodies).
const REGEX_LISTS = new Set([
  'expectedOutput',
  'excludedOutput',
  'expectedError',
  'excludedError',
  'expectedContents',
  'excludedContents',
]);
const REGEX_FIELDS = new Set(['bodyMatches', 'matches']);

function portKey(port: string | number): string {
  const text = String(port);
  return text.includes('/') ? text : `${text}/tcp`;
}

/** Every string in `node` with its path, for checks that apply wherever a string appears. */
function* strings(node: unknown, path: PropertyKey[] = []): Generator<[string, PropertyKey[]]> {
  if (typeof node === 'string') yield [node, path];
  else if (Array.isArray(node)) for (const [index, child] of node.entries()) yield* strings(child, [...path, index]);
  else if (node !== null && typeof node === 'object')
    for (const [key, child] of Object.entries(node)) yield* strings(child, [...path, key]);
}

function regexProblems(spec: unknown): string[] {
  const problems: string[] = [];
  const sample = expand(spec, SAMPLE_VALUES);
  for (const [text, path] of strings(sample)) {
    const key = path[path.length - 1];
    const parent = path[path.length - 2];
    const isRegex =
      (typeof key === 'string' && REGEX_FIELDS.has(key)) ||
      (typeof key === 'number' && typeof parent === 'string' && REGEX_LISTS.has(parent)) ||
      (key === 'value' && isRegexValue(sample, path));
    if (!isRegex) continue;
    try {
      new RegExp(text, 'm');
    } catch (error) {
      problems.push(
        `${formatPath(path)}: not a valid regular expression: ${errorMessage(error).replace(/^Invalid regular expression: /, '')}`,
      );
    }
  }
  return problems;
}

function isRegexValue(root: unknown, path: PropertyKey[]): boolean {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) node = (node as Record<PropertyKey, unknown>)[key];
  return (node as { isRegex?: unknown } | null)?.isRegex === true;
}

function serviceProblems(spec: SmokeSpec): string[] {
  const problems: string[] = [];
  spec.serviceTests?.forEach((test, t) => {
    const published = new Set((test.run?.ports ?? []).map(portKey));
    const saved = new Set<string>();
    test.steps.forEach((step, s) => {
      const where = `serviceTests[${t}].steps[${s}]`;
      step.pollJson?.until.forEach((predicate, p) => {
        if (predicate.sameAs !== undefined && !saved.has(predicate.sameAs))
          problems.push(
            `${where}.pollJson.until[${p}].sameAs: no earlier step saves a value as "${predicate.sameAs}"; ${saved.size > 0 ? `the saved names are ${[...saved].join(', ')}` : 'save one with "save": { "NAME": "$.path" } in an earlier pollJson step'}`,
          );
      });
      for (const name of Object.keys(step.pollJson?.save ?? {})) saved.add(name);
      for (const kind of ['waitHttp', 'http', 'pollJson'] as const) {
        const port = step[kind]?.port;
        if (port !== undefined && !published.has(portKey(port))) {
          problems.push(`${where}.${kind}.port: ${port} is not published; add it to serviceTests[${t}].run.ports`);
        }
        if (step[kind]?.json !== undefined && step[kind]?.body !== undefined)
          problems.push(`${where}.${kind}: give json or body, not both`);
      }
      if (step.stop && s !== test.steps.length - 1)
        problems.push(`${where}.stop: stop must be the last step; nothing can run after the container stopped`);
    });
  });
  return problems;
}

/** Every problem of a smoke.json text, each `path: message`, prefixed with `file`. */
export function smokeSpecProblems(file: string, text: string): string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return [`${file}: not valid JSON: ${errorMessage(error)}`];
  }
  const problems: string[] = [];
  for (const [value, path] of strings(raw)) {
    for (const name of unknownVariables(value)) {
      problems.push(
        `${formatPath(path)}: unknown variable \${${name}}; the variables are ${TEMPLATE_VARIABLES.join(', ')}`,
      );
    }
  }
  const parsed = smokeSpecSchema.safeParse(raw);
  if (!parsed.success) problems.push(...zodProblems(parsed.error, [], smokeSpecSchema));
  // Regexes are checked even when the shape is wrong elsewhere: every problem at once.
  problems.push(...regexProblems(raw));
  if (parsed.success) problems.push(...serviceProblems(parsed.data));
  return problems.map((problem) => `${file}: ${problem}`);
}

/** Parses a smoke.json that smokeSpecProblems found valid. */
export function parseSmokeSpec(text: string): SmokeSpec {
  return smokeSpecSchema.parse(JSON.parse(text));
}
