import { InputError } from '../errors.js';

/** How a user can give a setting: a command-line flag, an environment variable, or both. */
export interface SettingName {
  flag?: string;
  env?: string;
}

/** Where a setting's value came from. */
export type SettingSource = 'flag' | 'env' | 'default';

export interface Resolved<T> {
  value: T;
  source: SettingSource;
  /** The name the value came by, for messages: `--registry`, `MESOS_PIPELINE_REGISTRY` or `default`. */
  from: string;
}

/**
 * The one precedence rule: the flag, else the environment variable, else the default. Bad input is
 * reported under the name it came by (`MESOS_PIPELINE_REGISTRY "x": ...`, not `--registry "x"`):
 * `parse` gets that name, and an InputError it raises about the flag is renamed to it.
 */
export function resolveSetting<T>(
  name: SettingName,
  inputs: { flag: string | undefined; env: Readonly<Record<string, string | undefined>>; fallback: string },
  parse: (text: string, from: string) => T,
): Resolved<T> {
  const fromEnv = name.env === undefined ? undefined : inputs.env[name.env];
  const [text, source, from]: [string, SettingSource, string] =
    inputs.flag !== undefined && name.flag !== undefined
      ? [inputs.flag, 'flag', name.flag]
      : fromEnv !== undefined && name.env !== undefined
        ? [fromEnv, 'env', name.env]
        : [inputs.fallback, 'default', name.flag ?? name.env ?? 'default'];
  try {
    return { value: parse(text, from), source, from: source === 'default' ? 'default' : from };
  } catch (error) {
    if (error instanceof InputError && name.flag !== undefined && from !== name.flag) {
      const prefix = `${name.flag} `;
      if (error.message.startsWith(prefix))
        throw new InputError(`${from} ${error.message.slice(prefix.length)}`, { cause: error });
    }
    throw error;
  }
}

/** A setting with no parsing: the text itself, and where it came from. */
export function resolveText(
  name: SettingName,
  inputs: { flag: string | undefined; env: Readonly<Record<string, string | undefined>>; fallback: string },
): Resolved<string> {
  return resolveSetting(name, inputs, (text) => text);
}
