/** expectedOutput/excludedOutput semantics of container-structure-test: regexes, multiline. */
export function outputProblems(
  what: string,
  text: string,
  expected: readonly string[] = [],
  excluded: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  const shown = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  for (const pattern of expected) {
    if (!new RegExp(pattern, 'm').test(text))
      problems.push(`${what} does not match /${pattern}/ (was ${JSON.stringify(shown)})`);
  }
  for (const pattern of excluded) {
    if (new RegExp(pattern, 'm').test(text))
      problems.push(`${what} matches excluded /${pattern}/ (was ${JSON.stringify(shown)})`);
  }
  return problems;
}
