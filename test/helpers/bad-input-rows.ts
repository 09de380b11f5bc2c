import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { CANARY_PASSWORD, CANARY_USER, leaks } from './canary.js';

// Bad input on every surface (the table of test/pipeline/cli/bad-input.test.ts, which runs every
// row that needs no engine and no registry in-process, and of test/itg/bad-input.itg.test.ts,
// which runs the built CLI end to end for the rows that need the real stack and a few others, the
// `endToEnd` ones): each gets exit 2 (or 1 for a failure while working), one line that names
// the input and what would be valid, and nothing built or pushed. Credentials, where a row sets
// any, are the canary's.

/** The day every row names with --date (TODAY of test/helpers/scenario.ts, without the stack). */
export const BAD_INPUT_DAY = '2026-11-27';

/** Where the rows point: the real stack's registries in itg, a recorder in-process. */
export interface Target {
  /** HOST:PORT of an open registry. */
  registry: string;
  /** HOST:PORT/NAMESPACE of a registry that wants credentials: the credential rows push there. */
  authRegistry: string;
  /** HOST:PORT/NAMESPACE a run that got through its checks would push to. */
  openRegistry: string;
  /** A git repository with the branches 1.7.x and 1.6.x. */
  repo: string;
  /** A HOME folder without a docker config. */
  emptyHome: string;
}

export type Edit = Record<string, (text: string) => string>;
const json =
  (change: (value: Record<string, unknown[]> & Record<string, unknown>) => void) =>
  (text: string): string => {
    const value = JSON.parse(text) as Record<string, unknown[]> & Record<string, unknown>;
    change(value);
    return JSON.stringify(value);
  };
const firstCommandTest = (change: (test: Record<string, unknown>) => void): Edit => ({
  'fixture-base/smoke.json': json((spec) => change(spec.commandTests?.[0] as Record<string, unknown>)),
});
const images = (list: unknown[]): Edit => ({ 'images.json': () => JSON.stringify({ images: list }) });

export interface Row {
  /** What is wrong, for the test name. */
  what: string;
  /** Options after `publish` that replace the defaults of the same name; `[]` for none. */
  options?: Record<string, string | null>;
  /** Arguments used as they are, instead of the options. */
  argv?: string[];
  /** Arguments after the options. */
  extra?: string[];
  env?: Record<string, string>;
  family?: Edit;
  code: 1 | 2;
  message: RegExp;
  /** Progress lines come before the error (a failure while working, past the checks of input). */
  progress?: boolean;
  /** The row builds, and fails building. */
  builds?: boolean;
  /** What only the real stack can show: the row runs in itg only. */
  needs?: 'engine' | 'registry';
  /** A row itg also runs through the built CLI, as users do (the real process: exit code, stderr, redaction). */
  endToEnd?: boolean;
}

export function badInputRows(at: Target): Row[] {
  return [
    // Options and their values.
    {
      what: 'an unknown option',
      extra: ['--bogus'],
      code: 2,
      message: /^unknown option '--bogus'; see mesos-pipeline --help$/,
    },
    {
      what: 'a misspelt option',
      endToEnd: true,
      extra: ['--brnch', '1.7.x'],
      code: 2,
      message: /^unknown option '--brnch' \(did you mean --branch\?\); see mesos-pipeline --help$/,
    },
    {
      what: 'an unknown command',
      argv: ['publsh'],
      code: 2,
      message: /^unknown command 'publsh' \(did you mean publish\?\); see mesos-pipeline --help$/,
    },
    {
      what: 'an option without its value',
      argv: ['publish', '--branch'],
      code: 2,
      message: /^option '--branch <name>' argument missing; see mesos-pipeline --help$/,
    },
    {
      what: 'a concurrency of 0',
      options: { '--concurrency': '0' },
      code: 2,
      message: /^--concurrency "0" must be a whole number from 1 to 16$/,
    },
    {
      what: 'retries that are no number',
      options: { '--retries': 'lots' },
      code: 2,
      message: /^--retries "lots" must be a whole number from 0 to 10$/,
    },
    {
      what: 'a report in a missing folder',
      options: { '--report': '/nonexistent/report.json' },
      code: 2,
      message: /^--report \/nonexistent\/report.json: folder \/nonexistent does not exist$/,
    },
    {
      what: 'a minimum version without a minor',
      options: { '--min-version': '1' },
      code: 2,
      message: /^--min-version "1" is not MAJOR.MINOR, for example 1.7$/,
    },
    {
      what: 'an images folder without images.json',
      options: { '--images': '/nonexistent' },
      code: 2,
      message:
        /^--images \/nonexistent: images.json not found in \/nonexistent; --images must name a folder that holds images.json$/,
    },
    {
      what: 'a tuning knob that is no number',
      env: { MESOS_PIPELINE_RETRY_MIN_MS: 'soon' },
      code: 2,
      message: /^MESOS_PIPELINE_RETRY_MIN_MS "soon" must be a whole number from 1 to 600000$/,
    },
    // Dates.
    {
      what: 'a day that does not exist',
      options: { '--date': '2026-02-30' },
      code: 2,
      message: /^--date "2026-02-30" is not a real calendar day: 2026-02 has 28 days; for example 2026-02-28$/,
    },
    {
      what: 'a date in another form',
      options: { '--date': '27.11.2026' },
      code: 2,
      message: /^--date "27.11.2026" is not a date in the form YYYY-MM-DD \(for example 2026-11-27\)$/,
    },
    // Registry references.
    {
      what: 'an upper-case namespace',
      options: { '--registry': `${at.registry}/Mesos` },
      code: 2,
      message:
        /^--registry ".*\/Mesos": "Mesos" is not a valid repository path component: use lower-case letters.*; expected HOST\[:PORT\]\/NAMESPACE, for example 127.0.0.1:5000\/mesos/,
    },
    {
      what: 'a registry without a namespace',
      options: { '--registry': at.registry },
      code: 2,
      message: /^--registry "127.0.0.1:\d+": a namespace is missing; expected HOST\[:PORT\]\/NAMESPACE/,
    },
    {
      what: 'a port that does not exist',
      options: { '--registry': '127.0.0.1:99999/mesos' },
      code: 2,
      message:
        /^--registry "127.0.0.1:99999\/mesos": port 99999 is not a TCP port \(1 to 65535\); expected HOST\[:PORT\]\/NAMESPACE/,
    },
    {
      what: 'a registry given as a URL',
      options: { '--registry': `https://${at.registry}/mesos` },
      code: 2,
      message: /^--registry "https:\/\/.*": "https:" is not a valid registry host; expected HOST\[:PORT\]\/NAMESPACE/,
    },
    {
      what: 'a bad registry from the environment',
      options: { '--registry': null },
      env: { MESOS_PIPELINE_REGISTRY: 'docker.io/Mesos' },
      code: 2,
      message: /^MESOS_PIPELINE_REGISTRY "docker.io\/Mesos": "Mesos" is not a valid repository path component/,
    },
    // Branch names.
    {
      what: 'a branch that is no release branch',
      options: { '--branch': 'feature/x' },
      code: 2,
      message:
        /^--branch "feature\/x" is not master or a release branch named N.N.x \(1.7.x or later\); eligible branches: 1.7.x, master$/,
    },
    {
      what: 'a release candidate branch name',
      options: { '--branch': '1.7.x-rc' },
      code: 2,
      message: /^--branch "1.7.x-rc" is not master or a release branch named N.N.x/,
    },
    {
      what: 'a branch older than supported',
      options: { '--branch': '1.6.x' },
      code: 2,
      message:
        /^--branch "1.6.x" is older than the oldest supported release branch 1.7.x; eligible branches: 1.7.x, master$/,
    },
    {
      what: 'a branch the repository does not have',
      endToEnd: true,
      options: { '--branch': '1.99.x' },
      code: 2,
      message: /^--branch "1.99.x" is not a branch of .*; eligible branches: 1.7.x, master$/,
    },
    {
      what: 'an empty branch name',
      options: { '--branch': '' },
      code: 2,
      message: /^--branch is empty; give master or a release branch such as 1.11.x$/,
    },
    // The repository.
    {
      what: 'a repository URL with credentials in it',
      options: { '--repo': `https://${CANARY_USER}:${encodeURIComponent(CANARY_PASSWORD)}@127.0.0.1:1/mesos.git` },
      code: 2,
      message:
        /^--repo https:\/\/\*\*\*@127.0.0.1:1\/mesos.git: the URL carries credentials, .*let git's credential helper supply them$/,
    },
    {
      what: 'a repository that cannot be reached',
      options: { '--repo': 'http://127.0.0.1:1/mesos.git' },
      code: 1,
      message: /^cannot read the branches of http:\/\/127.0.0.1:1\/mesos.git: .*(Failed to connect|Couldn't connect)/,
    },
    {
      what: 'a folder that is no repository',
      options: { '--repo': '/nonexistent/mesos' },
      code: 1,
      message:
        /^cannot read the branches of \/nonexistent\/mesos: fatal: '\/nonexistent\/mesos' does not appear to be a git repository$/,
    },
    // images.json.
    {
      what: 'an image without a context',
      family: images([
        { name: 'fixture-base', context: 'fixture-base' },
        { name: 'fixture-app', base: 'fixture-base' },
      ]),
      code: 2,
      message: /images.json: images\[1\].context: is missing; it must be a string$/,
    },
    {
      what: 'an unknown base',
      family: images([
        { name: 'fixture-base', context: 'fixture-base' },
        { name: 'fixture-app', context: 'fixture-app', base: 'centos' },
      ]),
      code: 2,
      message: /images.json: images\[1\].base: unknown image "centos"; the images are fixture-base, fixture-app$/,
    },
    {
      what: 'bases in a cycle',
      endToEnd: true,
      family: images([
        { name: 'fixture-base', context: 'fixture-base', base: 'fixture-app' },
        { name: 'fixture-app', context: 'fixture-app', base: 'fixture-base' },
      ]),
      code: 2,
      message: /images.json: \d problems:$/,
    },
    {
      what: 'a duplicate image name',
      family: images([
        { name: 'fixture-base', context: 'fixture-base' },
        { name: 'fixture-base', context: 'fixture-app' },
      ]),
      code: 2,
      message: /images.json: images\[1\].name: duplicate image name "fixture-base" \(also images\[0\]\)$/,
    },
    {
      what: 'an unknown field in images.json',
      family: images([{ name: 'fixture-base', context: 'fixture-base', from: 'centos' }]),
      code: 2,
      message:
        /images.json: images\[0\]: Unrecognized key: "from"; the keys here are name, context, base, host, platforms$/,
    },
    {
      what: 'images.json that is no JSON',
      family: { 'images.json': () => '{ "images": [' },
      code: 2,
      message: /images.json: not valid JSON: /,
    },
    // smoke.json.
    {
      what: 'an unknown field in smoke.json',
      family: firstCommandTest((test) => (test.cmd = ['true'])),
      code: 2,
      message:
        /fixture-base\/smoke.json: commandTests\[0\]: Unrecognized key: "cmd"; the keys here are name, command, args, setup, teardown, envVars, entrypoint, user, exitCode, expectedOutput/,
    },
    {
      what: 'a wrong type in smoke.json',
      family: firstCommandTest((test) => (test.command = 42)),
      code: 2,
      message:
        /fixture-base\/smoke.json: commandTests\[0\].command: must be the program to run \(with its arguments in args\) or an array such as \["sh", "-c", "..."\]$/,
    },
    {
      what: 'a regular expression that does not compile',
      family: firstCommandTest((test) => (test.expectedOutput = ['(unclosed'])),
      code: 2,
      message:
        /fixture-base\/smoke.json: commandTests\[0\].expectedOutput\[0\]: not a valid regular expression: .*Unterminated group$/,
    },
    {
      what: 'a template variable that does not exist',
      family: firstCommandTest((test) => (test.expectedOutput = ['${GIT_TAG}'])),
      code: 2,
      message:
        /commandTests\[0\].expectedOutput\[0\]: unknown variable \$\{GIT_TAG\}; the variables are GIT_REPO, GIT_SHA/,
    },
    {
      what: 'a service test probing a port it does not publish',
      family: { 'fixture-app/smoke.json': json((spec) => ((spec.serviceTests?.[0] as { run: unknown }).run = {})) },
      code: 2,
      message:
        /fixture-app\/smoke.json: serviceTests\[0\].steps\[0\].waitHttp.port: 8080 is not published; add it to serviceTests\[0\].run.ports/,
    },
    // Dockerfiles.
    {
      what: 'a Dockerfile without FROM',
      family: { 'fixture-base/Dockerfile': () => 'RUN true\n' },
      code: 2,
      message: /fixture-base\/Dockerfile: has no FROM instruction$/,
    },
    {
      what: 'a child not built on its base',
      family: { 'fixture-app/Dockerfile': () => 'FROM mesos-pipeline/busybox:static\nCMD ["true"]\n' },
      code: 2,
      message:
        /fixture-app\/Dockerfile: the image has a base, so the Dockerfile must declare `ARG BASE_IMAGE` before its first FROM/,
    },
    {
      what: 'a Dockerfile whose RUN fails',
      needs: 'engine',
      family: {
        'fixture-base/Dockerfile': (text) =>
          text.replace('COPY fixture-version', 'RUN echo "no such package" >&2; exit 3\nCOPY fixture-version'),
      },
      code: 1,
      progress: true,
      builds: true,
      message:
        /^\[1.7.x\] error: FAILED at build \(fixture-base\) after [\d.]+s: build failed: The command '\/bin\/sh -c echo "no such package" >&2; exit 3' returned a non-zero code: 3$/,
    },
    // Credentials.
    {
      what: 'a wrong password',
      needs: 'registry',
      options: { '--registry': at.authRegistry },
      env: { REGISTRY_USERNAME: CANARY_USER, REGISTRY_PASSWORD: CANARY_PASSWORD },
      code: 1,
      progress: true,
      message: new RegExp(
        `^\\[1.7.x\\] error: FAILED at registry after [\\d.]+s: manifest ` +
          `${at.authRegistry}/fixture-base:1.7.x-${BAD_INPUT_DAY}: 401 Unauthorized.*; the credentials were refused$`,
      ),
    },
    {
      what: 'no credentials for a registry that needs them',
      needs: 'registry',
      options: { '--registry': at.authRegistry },
      env: { HOME: at.emptyHome },
      code: 1,
      progress: true,
      message:
        /FAILED at registry .*401 Unauthorized.*; credentials are needed: set REGISTRY_USERNAME and REGISTRY_PASSWORD, or docker login$/,
    },
    {
      what: 'a password without a user',
      endToEnd: true,
      env: { REGISTRY_PASSWORD: CANARY_PASSWORD },
      code: 2,
      message: /^REGISTRY_PASSWORD is set but REGISTRY_USERNAME is not; set both, or neither to use docker login$/,
    },
    {
      what: 'a user without a password',
      env: { REGISTRY_USERNAME: CANARY_USER },
      code: 2,
      message: /^REGISTRY_USERNAME is set but REGISTRY_PASSWORD is not; set both, or neither to use docker login$/,
    },
    {
      what: 'a docker config that is no JSON',
      env: { DOCKER_CONFIG: 'CORRUPT_DOCKER_CONFIG' },
      code: 2,
      message:
        /config.json is not valid JSON \(.*\); fix it \(docker login writes it\), or set REGISTRY_USERNAME and REGISTRY_PASSWORD$/,
    },
    // The engine.
    {
      what: 'an engine socket that is not there',
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
      code: 1,
      message:
        /^cannot reach the Docker engine at unix:\/\/\/nonexistent\/docker.sock: connect ENOENT \/nonexistent\/docker.sock; start one \(scripts\/engine-up.sh\) or set DOCKER_HOST$/,
    },
    {
      what: 'an engine port nobody listens on',
      env: { DOCKER_HOST: 'tcp://127.0.0.1:1' },
      code: 1,
      message: /^cannot reach the Docker engine at tcp:\/\/127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1; start one/,
    },
    {
      what: 'an engine address of another kind',
      env: { DOCKER_HOST: 'ftp://engine' },
      code: 2,
      message: /^DOCKER_HOST "ftp:\/\/engine" is not unix:\/\/\/path or tcp:\/\/host:port$/,
    },
  ];
}

export function argvOf(row: Row, at: Target, family: string): string[] {
  if (row.argv) return row.argv;
  const options: Record<string, string | null> = {
    '--repo': at.repo,
    '--images': family,
    '--registry': at.openRegistry,
    '--date': BAD_INPUT_DAY,
    '--branch': '1.7.x',
    ...row.options,
  };
  return [
    'publish',
    '--keep',
    ...Object.entries(options).flatMap(([name, value]) => (value === null ? [] : [name, value])),
    ...(row.extra ?? []),
  ];
}

function corruptDockerConfig(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mp-docker-config-'));
  writeFileSync(path.join(dir, 'config.json'), '{ "auths": ');
  return dir;
}

/** The row's environment, a corrupt docker config made where it asks for one. */
export function envOf(row: Row): Record<string, string> {
  return Object.fromEntries(
    Object.entries(row.env ?? {}).map(([key, value]) => [
      key,
      value === 'CORRUPT_DOCKER_CONFIG' ? corruptDockerConfig() : value,
    ]),
  );
}

/** What every row asserts of a run: its exit code, one error line that names it, nothing on stdout. */
export function expectRejected(row: Row, result: { code: number | null; stdout: string; stderr: string }): void {
  expect(result.code, result.stderr).toBe(row.code);
  const lines = result.stderr.trimEnd().split('\n');
  const errors = lines.filter((line) => /(^|\] )error: /.test(line));
  expect(errors, result.stderr).toHaveLength(1);
  // The error line, and the list of problems under it when there are several.
  const problems = lines.filter((line) => /^ {2}- /.test(line)).map((line) => line.slice(4));
  const said = [(errors[0] as string).replace(/^error: /, ''), ...problems];
  expect(
    said.some((line) => row.message.test(line)),
    result.stderr,
  ).toBe(true);
  // A list of problems follows its one error line, one problem a line.
  if (!row.progress) expect(lines.filter((line) => !/^ {2}- /.test(line))).toHaveLength(1);
  expect(result.stdout).toBe('');
  expect(result.stderr.includes('building from')).toBe(row.builds ?? false);
  expect(leaks(`${result.stdout}${result.stderr}`)).toEqual([]);
}
