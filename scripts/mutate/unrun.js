// Survivors that no test actually ran against: Stryker covered them with tests it then could not
// find by title (a title holding a temp folder or a time changes every run), so the mutant
// "survived" untested. Such a survivor says nothing about the tests: give the tests stable titles.

/** `file:line` of each survivor with covering tests of which none ran, from a report's `files`. */
export function unrunSurvivors(files) {
  const found = [];
  for (const [name, { mutants }] of Object.entries(files)) {
    for (const mutant of mutants) {
      const covered = (mutant.coveredBy ?? []).length > 0;
      if (mutant.status === 'Survived' && covered && mutant.testsCompleted === 0)
        found.push(`${name}:${mutant.location.start.line}`);
    }
  }
  return found;
}
