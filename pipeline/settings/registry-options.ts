import path from 'node:path';
import { InputError } from '../errors.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../retry.js';
import { defaultImagesDir } from '../paths.js';
import { isMesosBranch, type RegistryTarget } from '../../tags/index.js';
import { resolveRegistry } from './common-options.js';
import { resolveSetting } from './resolve.js';
import type { Runtime } from './runtime.js';

/** The options of commands that read or change what is in the registry (prune, status). */
export interface RegistryFlags {
  registry?: string;
  images?: string;
  branch: string[];
  verbose?: boolean;
}

export interface RegistryScope {
  registry: RegistryTarget;
  imagesDir: string;
  /** Explicit branches; empty means every branch. */
  branches: string[];
}

/** `--branch` values name master or a release branch N.N.x; checked by form, not against git. */
export function checkBranchNames(branches: readonly string[], option = '--branch'): void {
  for (const branch of branches) {
    if (!isMesosBranch(branch))
      throw new InputError(`${option} "${branch}" is not master or a release branch named N.N.x, for example 1.11.x`);
  }
}

/** Checks the registry, images folder and branch names before any I/O. */
export function resolveRegistryScope(flags: RegistryFlags, runtime: Runtime): RegistryScope {
  const registry = resolveRegistry(flags.registry, runtime.env);
  checkBranchNames(flags.branch);
  return {
    registry,
    imagesDir: flags.images ? path.resolve(runtime.cwd, flags.images) : defaultImagesDir(),
    branches: [...new Set(flags.branch)],
  };
}

/** A whole number option within bounds; bad input names the option and the range. */
export function wholeNumberOption(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    throw new InputError(`${name} "${value}" must be a whole number from ${min} to ${max}`);
  return Number(value);
}

/** The registry retry policy; MESOS_PIPELINE_RETRY_MIN_MS tunes it as for publish (tests, slow registries). */
export function registryRetryPolicy(env: Runtime['env']): RetryPolicy {
  const { value: minDelayMs } = resolveSetting(
    { env: 'MESOS_PIPELINE_RETRY_MIN_MS' },
    { flag: undefined, env, fallback: String(DEFAULT_RETRY.minDelayMs) },
    (text, from) => wholeNumberOption(from, text, 1, 600_000),
  );
  return { ...DEFAULT_RETRY, minDelayMs };
}
