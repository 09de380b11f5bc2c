import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../pipeline/adapters/clock.js';
import { DockerContainers } from '../../pipeline/adapters/docker-containers.js';
import { DockerImageEngine } from '../../pipeline/adapters/docker-engine.js';
import { LocalHostCgroups } from '../../pipeline/adapters/host-cgroups.js';
import { StreamLogger } from '../../pipeline/log.js';
import type { ImageDetails } from '../../pipeline/ports.js';
import { Redactor } from '../../pipeline/redact.js';
import { runSmokeTests } from '../../pipeline/smoke/run-smoke.js';
import type { SmokeSpec } from '../../pipeline/smoke/spec-schema.js';
import { fixtures } from '../helpers/paths.js';
import { BufferSink } from '../helpers/runtime.js';
import { dockerOf, readStack, uniqueId } from '../helpers/stack.js';
import { writeTree } from '../helpers/temp-files.js';

// The smoke runner against a real engine and a real image: every failure mode is reported as
// what went wrong, and no container outlives a test, whatever happened in it.
const stack = readStack();
const docker = dockerOf(stack);
const engine = new DockerImageEngine(docker, stack.dockerHost);
let image: ImageDetails;

beforeAll(async () => {
  const id = await engine.build(
    { context: path.join(fixtures, 'smoke-target'), buildArgs: {}, labels: { 'test.smoke-runner': 'yes' } },
    () => undefined,
  );
  image = (await engine.inspectImage(id)) as ImageDetails;
});
afterAll(async () => {
  await engine.removeImage(image.id);
});

function context(signal = new AbortController().signal, cgroups = new LocalHostCgroups()) {
  const runId = `smoke-${uniqueId()}`;
  const sink = new BufferSink();
  return {
    runId,
    sink,
    ctx: {
      runtime: new DockerContainers(docker, runId),
      cgroups,
      clock: systemClock,
      log: new StreamLogger({ sink, redactor: new Redactor() }),
      signal,
    },
  };
}

async function leftOver(runId: string): Promise<number> {
  return (await docker.listContainers({ all: true, filters: { label: [`io.mesos-pipeline.run=${runId}`] } })).length;
}

async function run(spec: SmokeSpec, signal?: AbortSignal, cgroups?: LocalHostCgroups) {
  const { runId, sink, ctx } = context(signal, cgroups);
  const result = await runSmokeTests(spec, image, ctx);
  expect(await leftOver(runId)).toBe(0);
  return { result, log: sink.text, problems: result.outcomes.flatMap((o) => o.problems) };
}

// Each test runs containers of its own (its own run id): all at once, but the interrupt, which
// times how fast a run stops and runs alone below.
describe.concurrent('smoke runner on a real engine', () => {
  it('checks command exit codes, stdout and stderr separately, and times out a hung command', async () => {
    const { result, problems } = await run({
      commandTests: [
        {
          name: 'ok',
          command: ['tool'],
          expectedOutput: ['^tool out$'],
          expectedError: ['^tool err$'],
          excludedOutput: ['tool err'],
        },
        { name: 'exit code', command: ['tool', '3'] },
        { name: 'expected exit', command: ['tool', '3'], exitCode: 3 },
        { name: 'wrong stream', command: ['tool'], expectedOutput: ['tool err'] },
        { name: 'hangs', command: ['sleep', '60'], timeoutSeconds: 1 },
      ],
    });
    expect(result.outcomes.map((o) => [o.name, o.ok])).toEqual([
      ['ok', true],
      ['exit code', false],
      ['expected exit', true],
      ['wrong stream', false],
      ['hangs', false],
    ]);
    expect(problems).toEqual([
      'exited with 3, expected 0; output: "tool out\\ntool err\\n"',
      'stdout does not match /tool err/ (was "tool out\\n")',
      '`sleep 60` did not finish within 1s',
    ]);
  });

  it('checks files without running the image', async () => {
    const { result, problems } = await run({
      fileExistenceTests: [
        { name: 'tool', path: '/usr/bin/tool', permissions: '-rwxr-xr-x', isExecutableBy: 'other', type: 'file' },
        { name: 'conf', path: '/etc/target/conf.txt', permissions: '-rw-r-----' },
        { name: 'dir', path: '/etc/target', type: 'directory' },
        { name: 'missing', path: '/etc/nope' },
        { name: 'absent', path: '/etc/nope', shouldExist: false },
        { name: 'wrong mode', path: '/etc/target/conf.txt', isExecutableBy: 'owner' },
      ],
      fileContentTests: [
        {
          name: 'conf says strict',
          path: '/etc/target/conf.txt',
          expectedContents: ['^mode=strict$'],
          excludedContents: ['lax'],
        },
        { name: 'conf is lax', path: '/etc/target/conf.txt', expectedContents: ['^mode=lax$'] },
      ],
    });
    expect(result.outcomes.map((o) => o.ok)).toEqual([true, true, true, false, true, false, true, false]);
    expect(problems).toEqual([
      '/etc/nope does not exist',
      '/etc/target/conf.txt is not executable by owner (-rw-r-----)',
      '/etc/target/conf.txt does not match /^mode=lax$/ (was "mode=strict\\n")',
    ]);
  });

  it('runs a service test through its steps and stops it without leaving cgroups', async () => {
    const { result, problems } = await run({
      serviceTests: [
        {
          name: 'serves',
          run: { ports: [8080], env: { DELAY: '1' } },
          steps: [
            { waitHttp: { port: 8080, path: '/health', timeoutSeconds: 20, intervalMs: 200 } },
            {
              pollJson: { port: 8080, path: '/health', until: [{ path: '$.ready', equals: true }], timeoutSeconds: 5 },
            },
            { exec: { command: ['tool', '0'], expectedOutput: ['tool out', 'tool err'] } },
            { stop: { timeoutSeconds: 5, expectNoCgroups: true } },
          ],
        },
      ],
    });
    expect(problems).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('fails fast when the service dies, with its last log lines', async () => {
    const started = Date.now();
    const { result } = await run({
      serviceTests: [
        {
          name: 'crashes',
          run: { ports: [8080], env: { CRASH: '1' } },
          steps: [{ waitHttp: { port: 8080, path: '/health', timeoutSeconds: 60 } }],
        },
      ],
    });
    expect(Date.now() - started).toBeLessThan(20_000);
    const outcome = result.outcomes[0];
    expect(outcome?.problems).toEqual([
      expect.stringMatching(/^step 1 \(wait for GET :8080\/health\): the container exited with code 7$/),
    ]);
    expect(outcome?.logTail).toEqual(['service starting', 'fatal: cannot start']);
  });

  it('reports the last answer when a wait runs out of time', async () => {
    const { result } = await run({
      serviceTests: [
        {
          name: 'slow',
          run: { ports: [8080], env: { DELAY: '30' } },
          steps: [{ waitHttp: { port: 8080, path: '/health', timeoutSeconds: 2, intervalMs: 200 } }],
        },
      ],
    });
    expect(result.outcomes[0]?.problems[0]).toMatch(
      /^step 1 \(wait for GET :8080\/health\): not satisfied within 2s; last: (the connection was closed without an answer \(ECONNRESET\)|connection refused \(ECONNREFUSED\))$/,
    );
  });

  it('fails a wrong answer, a failing exec and a bad predicate, each in its own words', async () => {
    const { result } = await run({
      serviceTests: [
        {
          name: 'status',
          run: { ports: [8080] },
          steps: [
            { waitHttp: { port: 8080, path: '/health', timeoutSeconds: 10, intervalMs: 200 } },
            { http: { port: 8080, path: '/nope', status: [200] } },
          ],
        },
        { name: 'exec', run: { ports: [8080] }, steps: [{ exec: { command: ['tool', '2'] } }] },
        {
          name: 'predicate',
          run: { ports: [8080] },
          steps: [
            {
              pollJson: {
                port: 8080,
                path: '/health',
                until: [{ path: '$.ready', equals: false }],
                timeoutSeconds: 2,
                intervalMs: 300,
              },
            },
          ],
        },
      ],
    });
    expect(result.outcomes.map((o) => o.problems[0])).toEqual([
      expect.stringMatching(/^step 2 \(GET :8080\/nope\): answered 404 .*expected status 200$/),
      'step 1 (exec tool 2): exited with 2, expected 0: "tool out\\ntool err\\n"',
      expect.stringMatching(
        /^step 1 .*: not satisfied within 2s; last: \$\.ready \{"equals":false\} does not hold \(saw true\)$/,
      ),
    ]);
  });

  it('refuses to claim "no cgroups left" when it cannot see cgroups at all', async () => {
    const { result } = await run(
      {
        serviceTests: [
          {
            name: 'blind',
            run: { ports: [8080] },
            steps: [
              { waitHttp: { port: 8080, path: '/health', timeoutSeconds: 10, intervalMs: 200 } },
              { stop: { expectNoCgroups: true } },
            ],
          },
        ],
      },
      undefined,
      new LocalHostCgroups(writeTree({ 'cpu/README': 'not a cgroup tree' })),
    );
    expect(result.outcomes[0]?.problems[0]).toMatch(/cannot see the cgroups of the running container on this host/);
  });
});

describe('smoke runner on a real engine, interrupted', () => {
  it('stops at once and removes the container when the run is interrupted', async () => {
    const controller = new AbortController();
    const { runId, ctx } = context(controller.signal);
    const running = runSmokeTests(
      {
        serviceTests: [
          {
            name: 'never ready',
            run: { ports: [8080], env: { DELAY: '60' } },
            steps: [{ waitHttp: { port: 8080, path: '/health', timeoutSeconds: 60 } }],
          },
        ],
      },
      image,
      ctx,
    );
    // Interrupted while its container runs (however long a busy engine takes to start it).
    const waitUntil = Date.now() + 30_000;
    while ((await leftOver(runId)) === 0 && Date.now() < waitUntil)
      await new Promise((resolve) => setTimeout(resolve, 200));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await leftOver(runId)).toBe(1);
    const interrupted = Date.now();
    controller.abort(new Error('interrupted by SIGINT'));
    await expect(running).rejects.toThrow('interrupted by SIGINT');
    expect(Date.now() - interrupted).toBeLessThan(5000);
    expect(await leftOver(runId)).toBe(0);
  });
});
