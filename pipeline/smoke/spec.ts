import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import { formatPath, zodProblems } from '../family/zod-problems.js';
import { errorMessage } from '../errors.js';
import { portKey } from '../ports.js';
import { compilePattern } from './pattern.js';
import { smokeSpecSchema, type SmokeSpec, type SmokeSpecFile } from './spec-schema.js';
import { expand, SAMPLE_VALUES, TEMPLATE_VARIABLES, unknownVariables } from './template.js';

/** Fields whose every string is a regular expression (matched against output, contents or bodies). */
export const REGEX_LISTS: ReadonlySet<string> = new Set([
  'expectedOutput',
  'excludedOutput',
  'expectedError',
  'excludedError',
  'expectedContents',
  'excludedContents',
]);
/** Fields that are one regular expression. */
export const REGEX_FIELDS: ReadonlySet<string> = new Set(['bodyMatches', 'matches']);
// Plus the `value` of a metadataTest label or envVar with `isRegex: true`.

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
      compilePattern(text);
    } catch (error) {
      // JavaScript's message shows the translated pattern; the user's own is clearer.
      const reason = errorMessage(error).replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '');
      problems.push(`${formatPath(path)}: not a valid regular expression: ${JSON.stringify(text)}: ${reason}`);
    }
  }
  return problems;
}

function isRegexValue(root: unknown, path: PropertyKey[]): boolean {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) node = (node as Record<PropertyKey, unknown>)[key];
  return (node as { isRegex?: unknown } | null)?.isRegex === true;
}

/** `${NAME}` in the value of a variable to set may name a variable of the image, not only ours. */
function isEnvValue(path: PropertyKey[]): boolean {
  const [first, , second, , third] = path;
  return (
    (first === 'globalEnvVars' && path.length === 3 && second === 'value') ||
    (first === 'commandTests' && second === 'envVars' && third === 'value' && path.length === 5)
  );
}

function serviceProblems(spec: SmokeSpecFile): string[] {
  const problems: string[] = [];
  spec.serviceTests?.forEach((test, t) => {
    const published = new Set((test.run?.ports ?? []).map(portKey));
    const saved = new Set<string>();
    test.steps.forEach((step, s) => {
      const where = `serviceTests[${t}].steps[${s}]`;
      step.pollJson?.until.forEach((predicate, p) => {
        if (predicate.sameAs !== undefined && !saved.has(predicate.sameAs))
          problems.push(
            `${where}.pollJson.until[${p}].sameAs: no earlier step saves a value as "${predicate.sameAs}"; ` +
              (saved.size > 0
                ? `the saved names are ${[...saved].join(', ')}`
                : 'save one with "save": { "NAME": "$.path" } in an earlier pollJson step'),
          );
      });
      for (const name of Object.keys(step.pollJson?.save ?? {})) saved.add(name);
      for (const kind of ['waitHttp', 'http', 'pollJson'] as const) {
        const request = step[kind];
        const port = request?.port;
        if (port !== undefined && !published.has(portKey(port))) {
          problems.push(`${where}.${kind}.port: ${port} is not published; add it to serviceTests[${t}].run.ports`);
        }
        if (request?.json !== undefined && request.body !== undefined)
          problems.push(`${where}.${kind}: give json or body, not both`);
      }
      if (step.stop && s !== test.steps.length - 1)
        problems.push(`${where}.stop: stop must be the last step; nothing can run after the container stopped`);
    });
  });
  return problems;
}

const YAML_FILE = /\.ya?ml$/i;

// The YAML reader loads with the first YAML spec (its CommonJS build, synchronously): JSON specs,
// the embedded family's, do not pay for it on every plan.
const requireModule = createRequire(import.meta.url);
const yaml = (): typeof Yaml => requireModule('yaml') as typeof Yaml;

/**
 * The data of a smoke spec file: YAML for `.yaml`/`.yml` (read as YAML 1.1, as c-s-t's Go reader
 * does: `yes` is true; dates stay strings), JSON otherwise. A key set to null counts as absent,
 * as it does in c-s-t (`files:` with nothing after it).
 */
function readSpecText(file: string, text: string): { data: unknown } | { problem: string } {
  if (YAML_FILE.test(file)) {
    const doc = yaml().parseDocument(text, {
      version: '1.1',
      customTags: (tags) => tags.filter((tag) => typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:timestamp'),
    });
    const [error] = doc.errors;
    if (error) return { problem: `not valid YAML: ${error.message.split('\n')[0]?.replace(/:$/, '')}` };
    return { data: withoutNulls(doc.toJS()) };
  }
  try {
    return { data: withoutNulls(JSON.parse(text)) };
  } catch (error) {
    return { problem: `not valid JSON: ${errorMessage(error)}` };
  }
}

function withoutNulls(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutNulls);
  if (node !== null && typeof node === 'object')
    return Object.fromEntries(
      Object.entries(node)
        .filter(([, value]) => value !== null)
        .map(([key, value]) => [key, withoutNulls(value)]),
    );
  return node;
}

/** Every problem of a smoke spec's text, each `path: message`, prefixed with `file` (.yaml/.yml: YAML). */
export function smokeSpecProblems(file: string, text: string): string[] {
  const read = readSpecText(file, text);
  if ('problem' in read) return [`${file}: ${read.problem}`];
  const raw = read.data;
  const problems: string[] = [];
  for (const [value, path] of strings(raw)) {
    if (isEnvValue(path)) continue;
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

/** The spec as the runner takes it: c-s-t's `commandargs` become one argv. */
export function normalizeSpec(file: SmokeSpecFile): SmokeSpec {
  const { $schema: _schema, commandTests, metadataTest, ...rest } = file;
  const spec: SmokeSpec = { ...rest };
  if (commandTests)
    spec.commandTests = commandTests.map(({ command, args, env: _env, ...test }) => ({
      ...test,
      command: [...(typeof command === 'string' ? [command] : command), ...(args ?? [])],
    }));
  if (metadataTest) {
    const { env: _env, ...metadata } = metadataTest;
    spec.metadataTest = metadata;
  }
  return spec;
}

/** Parses a smoke spec that smokeSpecProblems found valid; `file` (its name) picks YAML or JSON. */
export function parseSmokeSpec(text: string, file = 'smoke.json'): SmokeSpec {
  const read = readSpecText(file, text);
  if ('problem' in read) throw new Error(`${file}: ${read.problem}`);
  return normalizeSpec(smokeSpecSchema.parse(read.data));
}
