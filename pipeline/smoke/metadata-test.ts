import { portKey, type ImageDetails } from '../ports.js';
import { compilePattern } from './pattern.js';
import type { MetadataTest } from './spec-schema.js';

function sameList(a: readonly string[] | null, b: readonly string[]): boolean {
  return (a ?? []).length === b.length && b.every((value, index) => a?.[index] === value);
}

/** Checks the image's configuration against a metadataTest; pure, from the engine's inspect. */
export function metadataProblems(test: MetadataTest, image: ImageDetails): string[] {
  const problems: string[] = [];
  for (const { key, value, isRegex } of test.labels ?? []) {
    const actual = image.labels[key];
    if (actual === undefined) problems.push(`label ${key} is missing`);
    else if (isRegex ? !compilePattern(value).test(actual) : actual !== value)
      problems.push(
        `label ${key} is ${JSON.stringify(actual)}, expected ${isRegex ? `/${value}/` : JSON.stringify(value)}`,
      );
  }
  const env = new Map(
    image.env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
  for (const { key, value, isRegex } of test.envVars ?? []) {
    const actual = env.get(key);
    if (actual === undefined) problems.push(`env ${key} is not set`);
    else if (isRegex ? !compilePattern(value).test(actual) : actual !== value)
      problems.push(
        `env ${key} is ${JSON.stringify(actual)}, expected ${isRegex ? `/${value}/` : JSON.stringify(value)}`,
      );
  }
  for (const { key } of test.unboundEnvVars ?? [])
    if (env.has(key)) problems.push(`env ${key} is set (to ${JSON.stringify(env.get(key))}) but should not be`);
  const exposed = new Set(image.exposedPorts);
  for (const port of test.exposedPorts ?? [])
    if (!exposed.has(portKey(port)))
      problems.push(`port ${portKey(port)} is not exposed (exposed: ${[...exposed].join(', ') || 'none'})`);
  for (const port of test.unexposedPorts ?? [])
    if (exposed.has(portKey(port))) problems.push(`port ${portKey(port)} is exposed`);
  if (test.entrypoint && !sameList(image.entrypoint, test.entrypoint))
    problems.push(`entrypoint is ${JSON.stringify(image.entrypoint)}, expected ${JSON.stringify(test.entrypoint)}`);
  if (test.cmd && !sameList(image.cmd, test.cmd))
    problems.push(`cmd is ${JSON.stringify(image.cmd)}, expected ${JSON.stringify(test.cmd)}`);
  if (test.workdir !== undefined && image.workdir !== test.workdir)
    problems.push(`workdir is ${JSON.stringify(image.workdir)}, expected ${JSON.stringify(test.workdir)}`);
  if (test.user !== undefined && image.user !== test.user)
    problems.push(`user is ${JSON.stringify(image.user)}, expected ${JSON.stringify(test.user)}`);
  if (test.stopSignal !== undefined && image.stopSignal !== test.stopSignal)
    problems.push(
      `stop signal is ${JSON.stringify(image.stopSignal ?? null)}, expected ${JSON.stringify(test.stopSignal)}`,
    );
  for (const volume of test.volumes ?? [])
    if (!image.volumes.includes(volume)) problems.push(`volume ${volume} is not declared`);
  for (const volume of test.unmountedVolumes ?? [])
    if (image.volumes.includes(volume)) problems.push(`volume ${volume} is declared but should not be`);
  return problems;
}
