import { DockerfileParser } from 'dockerfile-ast';

/**
 * What the pipeline itself needs from a Dockerfile, checked when the family is loaded so a broken
 * file is bad input (exit 2) rather than a failed build hours later.
 */
export function dockerfileProblems(text: string, hasBase: boolean): string[] {
  const dockerfile = DockerfileParser.parse(text);
  const froms = dockerfile.getFROMs();
  if (froms.length === 0) return ['has no FROM instruction'];
  if (!hasBase) return [];
  const declared = dockerfile.getInitialARGs().some((arg) => arg.getProperty()?.getName() === 'BASE_IMAGE');
  const used = froms.some((from) => /^\$\{?BASE_IMAGE\}?$/.test(from.getImage() ?? ''));
  const problems: string[] = [];
  if (!declared)
    problems.push('the image has a base, so the Dockerfile must declare `ARG BASE_IMAGE` before its first FROM');
  if (!used)
    problems.push(
      'the image has a base, so the Dockerfile must build FROM ${BASE_IMAGE} (the base image just built in the same run)',
    );
  return problems;
}
