import path from 'node:path';
import { InputError } from '../errors.js';
import {
  DEFAULT_MIN_VERSION,
  dayProblem,
  dayRangeProblem,
  parseMinVersion,
  parseRegistryTarget,
  utcDay,
  type RegistryTarget,
} from '../../tags/index.js';
import { defaultImagesDir } from '../paths.js';
import { resolveSetting, type SettingName } from './resolve.js';
import type { Runtime } from './runtime.js';

export const DEFAULT_REPO = 'https://github.com/apache/mesos.git';
export const DEFAULT_REGISTRY = 'docker.io/mesos';

/** The options `plan` and `publish` share, as commander hands them over. */
export interface PlanFlags {
  repo?: string;
  branch: string[];
  date?: string;
  registry?: string;
  images?: string;
  minVersion?: string;
  verbose?: boolean;
  /** `--rerun-old-date`: a `--date` more than OLD_DATE_DAYS back is a deliberate re-run. */
  rerunOldDate?: boolean;
}

export interface PlanSettings {
  repo: string;
  branches: string[];
  date: string;
  registry: RegistryTarget;
  imagesDir: string;
  minVersion: string;
  createdAt: string;
}

/** The registry to publish to or read from: `--registry`, else MESOS_PIPELINE_REGISTRY, else Docker Hub. */
export const REGISTRY_SETTING: SettingName = { flag: '--registry', env: 'MESOS_PIPELINE_REGISTRY' };
const REPO_SETTING: SettingName = { flag: '--repo', env: 'MESOS_PIPELINE_REPO' };

/** The registry target of `--registry` or MESOS_PIPELINE_REGISTRY; bad input names the one it came by. */
export function resolveRegistry(flag: string | undefined, env: Runtime['env']): RegistryTarget {
  return resolveSetting(REGISTRY_SETTING, { flag, env, fallback: DEFAULT_REGISTRY }, (text) =>
    parseRegistryTarget(text),
  ).value;
}

function isUrl(repo: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/\s]+@[^:\s]+:/.test(repo);
}

/**
 * A repository URL with a password or token in it would be printed in logs and baked into every
 * image (the source label and the GIT_REPO build arg): refuse it. A bare user name in an ssh URL
 * (`ssh://git@host/...`) is no secret and passes.
 */
export function credentialsProblem(repo: string): string | undefined {
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    return undefined;
  }
  const web = url.protocol === 'http:' || url.protocol === 'https:';
  if (url.password === '' && (url.username === '' || !web)) return undefined;
  return (
    `--repo ${url.protocol}//***@${url.host}${url.pathname}: the URL carries credentials, which would ` +
    `end up in image labels, build args and logs; give it without them and let git's credential helper supply them`
  );
}

/**
 * Checks every option value before anything touches git, an engine or a registry, so bad input
 * always ends with exit 2 and nothing done. The run's instant is read once, here.
 */
export function resolvePlanSettings(flags: PlanFlags, runtime: Runtime): PlanSettings {
  const now = runtime.clock.now();
  let date = utcDay(now);
  if (flags.date !== undefined) {
    const problem = dayProblem(flags.date);
    if (problem) throw new InputError(`--date ${problem}`);
    const range = dayRangeProblem(flags.date, date, flags.rerunOldDate ?? false);
    if (range) throw new InputError(`--date ${range}`);
    date = flags.date;
  }
  const registry = resolveRegistry(flags.registry, runtime.env);
  const minVersion = parseMinVersion(flags.minVersion ?? DEFAULT_MIN_VERSION);
  const { value: repo } = resolveSetting(
    REPO_SETTING,
    { flag: flags.repo, env: runtime.env, fallback: DEFAULT_REPO },
    (rawRepo, from) => {
      if (rawRepo.trim() === '') throw new InputError(`${from} is empty; give a git URL or a local repository path`);
      const leak = credentialsProblem(rawRepo);
      if (leak) throw new InputError(leak);
      return isUrl(rawRepo) ? rawRepo : path.resolve(runtime.cwd, rawRepo);
    },
  );
  for (const branch of flags.branch) {
    if (branch.trim() === '') throw new InputError('--branch is empty; give master or a release branch such as 1.11.x');
  }
  return {
    repo,
    branches: [...new Set(flags.branch)],
    date,
    registry,
    imagesDir: flags.images ? path.resolve(runtime.cwd, flags.images) : defaultImagesDir(),
    minVersion,
    createdAt: now.toISOString(),
  };
}
