import { copyFamily, thenEdits } from './family-copy.js';

/**
 * The fixture family with smoke specs that start no container: what the fixture's command tests
 * check by running a container (the version the image reports, the commit it was built from, the
 * base's tool in the child) is checked by reading the files they print, and the child's service
 * test is left out; the metadata tests (the revision label against the branch's sha) stay as they
 * are. For tests whose subject is what happens around the smoke run (registry auth, skip
 * decisions, plans, clean-up), where the containers of the fixture's smoke run (about 9 s a
 * branch here) only wait; the smoke runner itself is tested with the whole fixture in
 * smoke-runner, publish, multi-platform and mesos-mini-smoke. `edit` changes further files, as
 * copyFamily's does (a smoke spec's edit gets the quick spec).
 */
export function quickFamily(edit: Record<string, (text: string) => string> = {}): string {
  const quick =
    (tests: Record<string, unknown>) =>
    (text: string): string => {
      const { metadataTest } = JSON.parse(text) as Record<string, unknown>;
      return JSON.stringify({ ...tests, metadataTest }, null, 2);
    };
  const specs: Record<string, (text: string) => string> = {
    'fixture-base/smoke.json': quick({
      fileExistenceTests: [{ name: 'version tool', path: '/usr/bin/fixture-version', isExecutableBy: 'any' }],
      fileContentTests: [
        {
          name: "reports the plan's version",
          path: '/opt/fixture/version',
          expectedContents: ['^fixture ${VERSION_PATTERN}$'],
        },
        { name: "was built from the plan's commit", path: '/opt/fixture/sha', expectedContents: ['^${GIT_SHA}$'] },
      ],
    }),
    'fixture-app/smoke.json': quick({
      fileExistenceTests: [{ name: "the base's tool is there", path: '/usr/bin/fixture-version' }],
    }),
  };
  return copyFamily(thenEdits(specs, edit));
}
