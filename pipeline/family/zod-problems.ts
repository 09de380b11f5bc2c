import { z } from 'zod';

/** `images[1].base`, `serviceTests[0].steps[2].waitHttp.port`: the path users see in messages. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** The keys an object at `path` of `schema` may have, when the path leads to an object. */
function keysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let node: z.core.$ZodType | undefined = schema;
  for (const key of [...path, undefined]) {
    while (node instanceof z.ZodOptional || node instanceof z.ZodNullable) node = node.unwrap();
    if (key === undefined) break;
    if (node instanceof z.ZodArray && typeof key === 'number') node = node.element;
    else if (node instanceof z.ZodObject && typeof key === 'string')
      node = (node.shape as Record<string, z.core.$ZodType>)[key];
    else return undefined;
  }
  if (!(node instanceof z.ZodObject)) return undefined;
  // A key declared to be refused (optional never, with its own message) is not one to suggest.
  return Object.entries(node.shape as Record<string, z.core.$ZodType>)
    .filter(([, value]) => !(value instanceof z.ZodOptional && value.unwrap() instanceof z.ZodNever))
    .map(([key]) => key);
}

/** Zod's message, said so that it also tells what would be valid. */
function explain(issue: z.core.$ZodIssue, schema: z.ZodType | undefined): string {
  if (issue.code === 'unrecognized_keys' && schema) {
    const keys = keysAt(schema, issue.path);
    if (keys) return `${issue.message}; the keys here are ${keys.join(', ')}`;
  }
  // A record key that fails its own schema: zod says "Invalid key in record"; say why.
  if (issue.code === 'invalid_key' && issue.issues[0]) return issue.issues[0].message;
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message))
    return `is missing; it must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
  return issue.message;
}

/**
 * Every problem zod found, one `path: message` each, prefixed by `base` when given. With the
 * `schema` that was parsed, an unknown key comes with the keys that are allowed there.
 */
export function zodProblems(error: z.ZodError, base: readonly PropertyKey[] = [], schema?: z.ZodType): string[] {
  return error.issues.map((issue) => `${formatPath([...base, ...issue.path])}: ${explain(issue, schema)}`);
}
