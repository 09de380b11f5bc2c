import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { zodProblems } from './zod-problems.js';

export interface JsonConfigOptions {
  /** How messages name the file: `--plan plan.json`, or the path itself. */
  label: string;
  /** The error for a file that cannot be read (ENOENT, ...) or is not JSON (a SyntaxError). */
  unreadable: (error: unknown) => Error;
  /** A check of the raw value before the schema's (a plan's format version); throws to refuse. */
  precheck?: (raw: unknown) => void;
}

/**
 * Reads a JSON file and checks it with `schema`: the one way config files (images.json, plans, run
 * reports) come in. What the schema refuses is one ConfigError that lists every problem as
 * `path: message`, all at once.
 */
export async function readJsonConfig<S extends z.ZodType>(
  file: string,
  schema: S,
  options: JsonConfigOptions,
): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw options.unreadable(error);
  }
  options.precheck?.(raw);
  return checkConfig(raw, schema, options.label);
}

/** Checks an already parsed value with `schema`; every problem as `path: message` in one ConfigError. */
export function checkConfig<S extends z.ZodType>(raw: unknown, schema: S, label: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(label, zodProblems(parsed.error, [], schema));
  return parsed.data;
}
