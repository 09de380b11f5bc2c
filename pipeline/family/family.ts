import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, errorMessage } from '../errors.js';
import { orderImages } from './build-order.js';
import { passedAtBuild, type PassedCheck } from './checked-inputs.js';
import type { HostDeclaration, ImageEntry } from './family-schema.js';
import { combineNeeds, describeHost, imageNeeds } from './host-needs.js';
import { DEFAULT_PLATFORMS } from './platforms.js';

export const FAMILY_FILE = 'images.json';
/** The names a context's smoke spec may have: JSON, or YAML as container-structure-test configs often are. */
export const SMOKE_FILES = ['smoke.json', 'smoke.yaml', 'smoke.yml'] as const;

/** One image of a family, with its paths resolved. */
export interface ImageSpec {
  name: string;
  base?: string | undefined;
  /** Absolute path of the build context folder. */
  context: string;
  dockerfile: string;
  /** Absolute path of the context's smoke spec (one of SMOKE_FILES). */
  smokeFile: string;
  /** What a host must offer to run its service tests, as images.json declares it. */
  host?: HostDeclaration | undefined;
  /** The platforms images.json declares; undefined: linux/amd64 as a single image (DEFAULT_PLATFORMS). */
  platforms?: string[] | undefined;
}

/** A validated image family: the images in build order (every image after its base). */
export interface Family {
  dir: string;
  file: string;
  images: ImageSpec[];
}

/**
 * Checks a smoke spec's text; `file` names it in messages and picks YAML or JSON. Callers pass
 * smokeSpecProblems (pipeline/smoke/spec.ts), directly or loaded on first use: an input the build
 * recorded as passing that check (checked-inputs.ts) is not given to it.
 */
export type SmokeValidator = (file: string, text: string) => string[] | Promise<string[]>;

// zod and dockerfile-ast load only for an input the build did not check (checked-inputs.ts):
// together they are most of a plan's start-up.
async function checkFamilyFile(raw: unknown, file: string): Promise<{ images: ImageEntry[] }> {
  const [{ checkConfig }, { familySchema }] = await Promise.all([
    import('./json-config.js'),
    import('./family-schema.js'),
  ]);
  return checkConfig(raw, familySchema, file);
}

async function dockerfileProblems(text: string, hasBase: boolean, passed: PassedCheck): Promise<string[]> {
  if (passed(hasBase ? 'Dockerfile of a child' : 'Dockerfile', text)) return [];
  return (await import('./dockerfile-rules.js')).dockerfileProblems(text, hasBase);
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function isDirectory(dir: string): Promise<boolean> {
  return stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

function structuralProblems(entries: readonly ImageEntry[]): string[] {
  const problems: string[] = [];
  const first = new Map<string, number>();
  entries.forEach((entry, index) => {
    const earlier = first.get(entry.name);
    if (earlier === undefined) first.set(entry.name, index);
    else problems.push(`images[${index}].name: duplicate image name "${entry.name}" (also images[${earlier}])`);
  });
  const names = [...first.keys()];
  entries.forEach((entry, index) => {
    const base = entry.base === undefined ? undefined : entries.find((candidate) => candidate.name === entry.base);
    const basePlatforms = base?.platforms ?? DEFAULT_PLATFORMS;
    const missing = (entry.platforms ?? DEFAULT_PLATFORMS).filter((platform) => !basePlatforms.includes(platform));
    if (base && missing.length > 0)
      problems.push(
        `images[${index}].platforms: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not among the ` +
          `platforms of its base ${base.name} (${basePlatforms.join(', ')}); a child is built on its base for each ` +
          `platform`,
      );
    if (entry.base !== undefined && !first.has(entry.base)) {
      problems.push(`images[${index}].base: unknown image "${entry.base}"; the images are ${names.join(', ')}`);
    }
  });
  // A branch whose images need disjoint cgroup versions could not be tested on any host.
  const branches = [...new Set(entries.flatMap((entry) => Object.keys(entry.host?.branches ?? {})))];
  for (const branch of [undefined, ...branches]) {
    const needs = entries.map((entry) => imageNeeds(entry.host, branch ?? ''));
    if (combineNeeds(needs).cgroupVersions.length > 0) continue;
    const said = entries.map(
      (entry, index) => `${entry.name} needs ${describeHost(needs[index] ?? imageNeeds(undefined, ''))}`,
    );
    problems.push(
      `images: no host offers what the service tests of ${branch ?? 'a branch'} need together ` +
        `(${said.join('; ')}); give the images a cgroup version in common`,
    );
  }
  // Beside the problems above, not after they are fixed: every problem at once. Unknown bases end a
  // chain (orderImages does not follow them), so only a real cycle is reported.
  const ordered = orderImages(entries);
  if ('cycle' in ordered)
    problems.push(
      `images: the bases form a cycle: ${ordered.cycle.join(' -> ')}; every chain of bases must end at ` +
        `an image without one`,
    );
  return problems;
}

/** The smoke spec files a context holds (more than one is a mistake the caller reports). */
async function presentSmokeFiles(context: string): Promise<string[]> {
  const files = SMOKE_FILES.map((name) => path.join(context, name));
  const present = await Promise.all(files.map(isFile));
  return files.filter((_, index) => present[index]);
}

async function contextProblems(
  dir: string,
  entry: ImageEntry,
  index: number,
  validateSmoke: SmokeValidator | undefined,
  passed: PassedCheck,
): Promise<string[]> {
  const where = `images[${index}].context`;
  const context = path.resolve(dir, entry.context);
  const relative = path.relative(dir, context);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    return [`${where}: "${entry.context}" leaves the folder of ${FAMILY_FILE}; a context must be a folder inside it`];
  }
  if (!(await isDirectory(context)))
    return [`${where}: folder "${entry.context}" does not exist beside ${FAMILY_FILE}`];
  const problems: string[] = [];
  const dockerfile = path.join(context, 'Dockerfile');
  if (!(await isFile(dockerfile))) {
    problems.push(`${where}: "${entry.context}/Dockerfile" is missing; every context holds a Dockerfile`);
  } else {
    const text = await readFile(dockerfile, 'utf8');
    for (const problem of await dockerfileProblems(text, entry.base !== undefined, passed))
      problems.push(`${entry.context}/Dockerfile: ${problem}`);
  }
  const smokeFiles = await presentSmokeFiles(context);
  const [smokeFile] = smokeFiles;
  if (smokeFile === undefined) {
    problems.push(
      `${where}: "${entry.context}/smoke.json" is missing (or smoke.yaml, smoke.yml); every image is ` +
        `smoke-tested before it is pushed`,
    );
  } else if (smokeFiles.length > 1) {
    problems.push(
      `${where}: "${entry.context}" has ${smokeFiles.map((file) => path.basename(file)).join(' and ')}; ` +
        `keep one smoke spec`,
    );
  } else if (validateSmoke) {
    const name = path.basename(smokeFile);
    const text = await readFile(smokeFile, 'utf8');
    if (!passed(`smoke spec ${name}`, text)) problems.push(...(await validateSmoke(`${entry.context}/${name}`, text)));
  }
  return problems;
}

/**
 * Reads and validates `DIR/images.json` and every context it names. All problems are reported at
 * once, as `path: message`, in one ConfigError (exit 2). `passed` tells which inputs are known to
 * pass their checks (by default those the build checked), so that they are not checked again.
 */
export async function loadFamily(
  dirArg: string,
  validateSmoke?: SmokeValidator,
  passed: PassedCheck = passedAtBuild,
): Promise<Family> {
  const dir = await realpath(dirArg).catch(() => path.resolve(dirArg));
  const file = path.join(dir, FAMILY_FILE);
  const unreadable = (error: unknown): ConfigError =>
    error instanceof SyntaxError
      ? new ConfigError(file, [`not valid JSON: ${errorMessage(error)}`])
      : new ConfigError(`--images ${dirArg}`, [
          `${FAMILY_FILE} not found in ${dir}; --images must name a folder that holds images.json`,
        ]);
  // As readJsonConfig (json-config.ts) reads a config file, without loading zod for a checked one.
  let text: string;
  let raw: unknown;
  try {
    text = await readFile(file, 'utf8');
    raw = JSON.parse(text);
  } catch (error) {
    throw unreadable(error);
  }
  const { images: entries } = passed('images.json', text)
    ? (raw as { images: ImageEntry[] })
    : await checkFamilyFile(raw, file);
  const problems = structuralProblems(entries);
  const perContext = await Promise.all(
    entries.map((entry, index) => contextProblems(dir, entry, index, validateSmoke, passed)),
  );
  problems.push(...perContext.flat());
  if (problems.length > 0) throw new ConfigError(file, problems);

  const ordered = orderImages(entries);
  if ('cycle' in ordered)
    throw new ConfigError(file, [`images: the bases form a cycle: ${ordered.cycle.join(' -> ')}`]);
  const images = await Promise.all(
    ordered.order.map(async (entry) => {
      const context = path.resolve(dir, entry.context);
      const [smokeFile] = await presentSmokeFiles(context);
      return {
        name: entry.name,
        base: entry.base,
        context,
        dockerfile: path.join(context, 'Dockerfile'),
        smokeFile: smokeFile ?? path.join(context, SMOKE_FILES[0]),
        ...(entry.host ? { host: entry.host } : {}),
        ...(entry.platforms ? { platforms: entry.platforms } : {}),
      };
    }),
  );
  return { dir, file, images };
}
