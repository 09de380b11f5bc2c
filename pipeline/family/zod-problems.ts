import type { z } from 'zod';

/** `images[1].base`, `serviceTests[0].steps[2].waitHttp.port`: the path users see in messages. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** Every problem zod found, one `path: message` each, prefixed by `base` when given. */
export function zodProblems(error: z.ZodError, base: readonly PropertyKey[] = []): string[] {
  return error.issues.map((issue) => `${formatPath([...base, ...issue.path])}: ${issue.message}`);
}
