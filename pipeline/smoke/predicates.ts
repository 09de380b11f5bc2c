import { isDeepStrictEqual } from 'node:util';
import { JSONPath } from 'jsonpath-plus';
import { compilePattern } from './pattern.js';
import type { Predicate } from './spec-schema.js';

/** What the JSONPath `path` selects in `json`, always as a list. */
export function select(path: string, json: unknown): unknown[] {
  return JSONPath<unknown[]>({ path, json: json as object, wrap: true });
}

/**
 * Evaluates one predicate of a pollJson step against a parsed JSON body. `path` is a JSONPath;
 * comparisons hold when ANY value it selects satisfies them; count/minCount/exists look at how
 * many values it selects; sameAs compares with a value an earlier step saved. Returns undefined
 * when it holds, else what was seen.
 */
export function predicateFailure(
  predicate: Predicate,
  json: unknown,
  saved: ReadonlyMap<string, unknown> = new Map(),
): string | undefined {
  if (predicate.sameAs !== undefined && !saved.has(predicate.sameAs))
    return `${predicate.path}: no earlier step saved a value as ${predicate.sameAs}`;
  const values = select(predicate.path, json);
  const seen = values.length === 0 ? 'nothing' : JSON.stringify(values.length === 1 ? values[0] : values).slice(0, 200);
  const holds = ((): boolean => {
    if ('exists' in predicate) return values.length > 0 === predicate.exists;
    if (predicate.count !== undefined) return values.length === predicate.count;
    if (predicate.minCount !== undefined) return values.length >= predicate.minCount;
    if (predicate.sameAs !== undefined)
      return values.some((value) => isDeepStrictEqual(value, saved.get(predicate.sameAs as string)));
    if ('equals' in predicate) return values.some((value) => isDeepStrictEqual(value, predicate.equals));
    if ('notEquals' in predicate)
      return values.length > 0 && values.every((value) => !isDeepStrictEqual(value, predicate.notEquals));
    if (predicate.gte !== undefined)
      return values.some((value) => typeof value === 'number' && value >= (predicate.gte as number));
    if (predicate.lte !== undefined)
      return values.some((value) => typeof value === 'number' && value <= (predicate.lte as number));
    if (predicate.matches !== undefined)
      return values.some(
        (value) => typeof value === 'string' && compilePattern(predicate.matches as string).test(value),
      );
    return false;
  })();
  if (holds) return undefined;
  const { path, ...comparison } = predicate;
  const expected =
    predicate.sameAs === undefined ? '' : `, saved ${JSON.stringify(saved.get(predicate.sameAs)).slice(0, 200)}`;
  return `${path} ${JSON.stringify(comparison)} does not hold (saw ${seen}${expected})`;
}
