import { buildFeatures, COMPILE_CACHE_OFF_ARG, parseDockerfile } from './build-features.js';

/**
 * What the pipeline itself needs from a Dockerfile, checked when the family is loaded so a broken
 * file is bad input (exit 2) rather than a failed build hours later.
 */
export function dockerfileProblems(text: string, hasBase: boolean): string[] {
  const dockerfile = parseDockerfile(text);
  const froms = dockerfile.getFROMs();
  if (froms.length === 0) return ['has no FROM instruction'];
  const cacheProblems = compileCacheProblems(text);
  if (!hasBase) return cacheProblems;
  const declared = dockerfile.getInitialARGs().some((arg) => arg.getProperty()?.getName() === 'BASE_IMAGE');
  const used = froms.some((from) => /^\$\{?BASE_IMAGE\}?$/.test(from.getImage() ?? ''));
  const problems: string[] = [...cacheProblems];
  if (!declared)
    problems.push('the image has a base, so the Dockerfile must declare `ARG BASE_IMAGE` before its first FROM');
  if (!used)
    problems.push(
      'the image has a base, so the Dockerfile must build FROM ${BASE_IMAGE} (the base image just built ' +
        'in the same run)',
    );
  return problems;
}

/**
 * A `RUN --mount=type=cache` is the compile cache, and `--no-compile-cache` turns it off through
 * the ${COMPILE_CACHE_OFF_ARG} build arg: the stage must declare it, or the flag would do nothing.
 */
function compileCacheProblems(text: string): string[] {
  const features = buildFeatures(text);
  const stages = [...new Set(features.cacheMounts.map((mount) => mount.stage))];
  return stages
    .filter((stage) => !features.stageArgs[stage]?.includes(COMPILE_CACHE_OFF_ARG))
    .map(
      (stage) =>
        `stage ${stage + 1} mounts a compile cache (RUN --mount=type=cache), so it must declare \`ARG ` +
        `${COMPILE_CACHE_OFF_ARG}\` (--no-compile-cache sets it to 1)`,
    );
}
