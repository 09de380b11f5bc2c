import { compilePattern } from './pattern.js';

/** expectedOutput/excludedOutput of container-structure-test: each a regex (see pattern.ts). */
export function outputProblems(
  what: string,
  text: string,
  expected: readonly string[] = [],
  excluded: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  const shown = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  for (const pattern of expected) {
    if (!compilePattern(pattern).test(text))
      problems.push(`${what} does not match /${pattern}/ (was ${JSON.stringify(shown)})`);
  }
  for (const pattern of excluded) {
    if (compilePattern(pattern).test(text))
      problems.push(`${what} matches excluded /${pattern}/ (was ${JSON.stringify(shown)})`);
  }
  return problems;
}
