import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_LABEL, DockerContainers } from '../../pipeline/adapters/docker-containers.js';
import { systemClock } from '../../pipeline/adapters/clock.js';
import { DockerImageEngine } from '../../pipeline/adapters/docker-engine.js';
import { LocalHostCgroups } from '../../pipeline/adapters/host-cgroups.js';
import { StreamLogger } from '../../pipeline/log.js';
import type { ImageDetails } from '../../pipeline/ports.js';
import { Redactor } from '../../pipeline/redact.js';
import { runSmokeTests } from '../../pipeline/smoke/run-smoke.js';
import type { SmokeSpec } from '../../pipeline/smoke/spec-schema.js';
import { parseSmokeSpec, smokeSpecProblems } from '../../pipeline/smoke/spec.js';
import { fixtures } from '../helpers/paths.js';
import { BufferSink } from '../helpers/runtime.js';
import { dockerOf, readStack, uniqueId } from '../helpers/stack.js';

// container-structure-test's own configs (test/fixtures/cst/upstream, byte for byte) run by our
// smoke runner against a real image: the passing configs pass, and the failure configs fail in
// exactly the tests that cannot hold. No container or committed image outlives a run.
const stack = readStack();
const docker = dockerOf(stack);
const engine = new DockerImageEngine(docker, stack.dockerHost);
let image: ImageDetails;

beforeAll(async () => {
  const id = await engine.build(
    { context: path.join(fixtures, 'cst', 'target'), buildArgs: {}, labels: { 'test.cst-configs': 'yes' } },
    () => undefined,
  );
  image = (await engine.inspectImage(id)) as ImageDetails;
});
afterAll(async () => {
  await engine.removeImage(image.id);
});

function config(file: string): SmokeSpec {
  const text = readFileSync(path.join(fixtures, 'cst', 'upstream', file), 'utf8');
  expect(smokeSpecProblems(file, text)).toEqual([]);
  return parseSmokeSpec(text, file);
}

async function run(spec: SmokeSpec) {
  const runId = `cst-${uniqueId()}`;
  const sink = new BufferSink();
  const result = await runSmokeTests(spec, image, {
    runtime: new DockerContainers(docker, runId),
    cgroups: new LocalHostCgroups(),
    clock: systemClock,
    log: new StreamLogger({ sink, redactor: new Redactor() }),
    signal: new AbortController().signal,
  });
  const filters = { label: [`${RUN_LABEL}=${runId}`] };
  expect((await docker.listContainers({ all: true, filters })).length).toBe(0);
  expect((await docker.listImages({ filters })).length).toBe(0);
  return {
    outcomes: result.outcomes.map((o) => [o.kind, o.name, o.ok]),
    problems: result.outcomes.flatMap((o) => o.problems),
    ok: result.ok,
  };
}

// Every test runs containers of its own (labelled with its own run id) from the one image: all at once.
// First: its setup commits make it the longest test, and the others share the second lane meanwhile.
describe.concurrent('c-s-t features beyond its own configs, on the same image', () => {
  it('setup commits state for the command, globalEnvVars extend the image PATH, teardown runs after', async () => {
    const { problems, outcomes } = await run({
      globalEnvVars: [{ key: 'PATH', value: '/env/bin:$PATH' }],
      commandTests: [
        {
          name: 'setup state and env',
          setup: [
            ['sh', '-c', 'echo one > /tmp/state'],
            ['sh', '-c', 'echo two >> /tmp/state'],
          ],
          command: ['sh', '-c', 'cat /tmp/state; echo "$PATH $GREETING"'],
          envVars: [{ key: 'GREETING', value: 'hi from ${ENV} and $UNSET.' }],
          expectedOutput: [
            '\\Aone\\ntwo\\n/env/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin hi from ' +
              '/test and .\\n\\z',
          ],
          teardown: [['sh', '-c', 'grep -q two /tmp/state']],
        },
        { name: 'failing setup', setup: [['sh', '-c', 'exit 4']], command: ['true'] },
        { name: 'failing teardown', command: ['true'], teardown: [['test', '-e', '/nope']] },
      ],
    });
    expect(problems).toEqual([
      'setup command 1 `sh -c exit 4` exited with 4; output: ""',
      'teardown command 1 `test -e /nope` exited with 1; output: ""',
    ]);
    expect(outcomes).toEqual([
      ['command', 'setup state and env', true],
      ['command', 'failing setup', false],
      ['command', 'failing teardown', false],
    ]);
    // Removing the committed states must not prune their parent: the image under test, untagged.
    expect(await engine.inspectImage(image.id)).toBeDefined();
  });

  it('checks owners by uid and gid from the image, not by name', async () => {
    const { problems } = await run({
      fileExistenceTests: [
        { name: 'home', path: '/home/nonroot', uid: 1001, gid: 1001, permissions: 'drwxr-xr-x' },
        { name: 'root owns bin', path: '/bin', uid: 0 },
        { name: 'wrong owner', path: '/home/nonroot', uid: 0, gid: 0 },
      ],
    });
    expect(problems).toEqual([
      '/home/nonroot is owned by uid 1001, expected 0',
      '/home/nonroot has gid 1001, expected 0',
    ]);
  });
});

describe.concurrent("container-structure-test's own configs on a real image", () => {
  it('ubuntu_22_04_test.yaml (2.0.0: command + args, uid/gid, license files) passes', async () => {
    const { outcomes, problems } = await run(config('ubuntu_22_04_test.yaml'));
    expect(problems).toEqual([]);
    expect(outcomes).toEqual([
      ['file', 'Root', true],
      ['file', 'Date', true],
      ['file', 'Hosts File', true],
      ['file', 'Machine ID', true],
      ['file', 'Dummy File', true],
      ['content', 'Debian Sources', true],
      ['content', 'Passwd file', true],
      ['command', 'apt-get', true],
      ['command', 'apt-config', true],
      ['command', 'path', true],
      ['license', 'licenseTests[0]', true],
    ]);
  });

  it('the metadata configs (envVars, unboundEnvVars, labels, unexposedPorts, unmountedVolumes, cmd) pass', async () => {
    const files = ['ubuntu_22_04_metadata_test.yaml', 'bazel_test.yaml'];
    const results = await Promise.all(files.map((file) => run(config(file))));
    for (const [index, { outcomes, problems }] of results.entries()) {
      expect(problems, files[index]).toEqual([]);
      expect(outcomes, files[index]).toEqual([['metadata', 'metadata', true]]);
    }
  });

  it('the 1.0.0 JSON configs (argv commands, isDirectory, license debian: true) pass', async () => {
    const files = ['debian_test.json', 'structure_test_test.json'];
    const results = await Promise.all(files.map((file) => run(config(file))));
    for (const [index, { problems, ok }] of results.entries()) {
      expect(problems, files[index]).toEqual([]);
      expect(ok, files[index]).toBe(true);
    }
  });

  it('containerRunOptions.user takes effect: the user config passes as root and fails without it', async () => {
    const spec = config('ubuntu_22_04_containeropts_user_test.yaml');
    const [asRoot, asImageUser] = await Promise.all([run(spec), run({ ...spec, containerRunOptions: undefined })]);
    expect(asRoot.problems).toEqual([]);
    expect(asImageUser.problems).toEqual([
      expect.stringMatching(/^exited with 100, expected 0; output: "nonroot\\nE: /),
    ]);
  });

  it('ubuntu_22_04_failure_test.yaml fails in the tests that cannot hold, and only those', async () => {
    const { outcomes, problems } = await run(config('ubuntu_22_04_failure_test.yaml'));
    expect(outcomes).toEqual([
      ['file', 'Fake Dir', false],
      ['file', 'Wrong permissions', false],
      ['content', 'Debian Sources', true],
      ['content', 'Wrong Retry Policy', false],
      ['command', 'bad apt-get-command', false],
      ['command', 'apt-config', false],
      ['command', 'path', true],
      ['license', 'licenseTests[0]', true],
    ]);
    expect(problems).toEqual([
      '/foo/bar does not exist',
      '/etc/apt/sources.list has permissions -rw-r--r--, expected -rwxrwxrwx',
      '/etc/apt/apt.conf.d/apt-retry does not match /Acquire::Retries 4;/ (was "Acquire::Retries 3;\\n")',
      'exited with 100, expected 1; output: "E: Invalid operation dslkfjasl\\n"',
      expect.stringMatching(/^stdout does not match \/DPkg::Pre-Install-Pkgs "";\/ \(was "APT \\"\\";\\n/),
    ]);
  });

  it('debian_failure_test.json fails in the tests that cannot hold, and only those', async () => {
    const { outcomes } = await run(config('debian_failure_test.json'));
    expect(outcomes).toEqual([
      ['file', 'Fake Dir', false],
      ['file', 'Wrong permissions', false],
      ['content', 'Debian Sources', false],
      ['content', 'Retry Policy', false],
      ['command', 'bad apt-get command', false],
      ['command', 'apt-config', true],
    ]);
  });
});
