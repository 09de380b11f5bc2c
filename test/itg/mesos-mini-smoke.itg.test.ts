import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../pipeline/adapters/clock.js';
import { DockerContainers, RUN_LABEL } from '../../pipeline/adapters/docker-containers.js';
import { DockerImageEngine } from '../../pipeline/adapters/docker-engine.js';
import { LocalHostCgroups } from '../../pipeline/adapters/host-cgroups.js';
import { StreamLogger } from '../../pipeline/log.js';
import type { ImageDetails } from '../../pipeline/ports.js';
import { Redactor } from '../../pipeline/redact.js';
import { runSmokeTests, type SmokeResult } from '../../pipeline/smoke/run-smoke.js';
import type { ServiceTest } from '../../pipeline/smoke/spec-schema.js';
import { parseSmokeSpec } from '../../pipeline/smoke/spec.js';
import { expand, SAMPLE_VALUES, type TemplateValues } from '../../pipeline/smoke/template.js';
import { readContextFile } from '../dockerfiles/dockerfile-facts.js';
import { PRIVILEGES } from '../dockerfiles/script-image.js';
import { fixtures } from '../helpers/paths.js';
import { BufferSink } from '../helpers/runtime.js';
import { dockerOf, readStack, uniqueId } from '../helpers/stack.js';

// The production dockerfiles/mesos-mini/smoke.json, run by the production smoke runner against a
// stand-in that answers like Mesos and Marathon (test/fixtures/mesos-mini-standin). It proves the
// spec and the runner; the real image gets its proof where Docker Hub and Marathon are reachable.
const stack = readStack();
const docker = dockerOf(stack);
const engine = new DockerImageEngine(docker, stack.dockerHost);
const testId = uniqueId();

// What the plan of a 1.11.x build hands the spec; the stand-in reports 1.11.1 like that build.
const VALUES: TemplateValues = { ...SAMPLE_VALUES, IMAGE_NAME: 'mesos-mini' };

const productionTest = ((): ServiceTest => {
  const [test] = expand(parseSmokeSpec(readContextFile('mesos-mini', 'smoke.json')), VALUES).serviceTests ?? [];
  if (!test) throw new Error('dockerfiles/mesos-mini/smoke.json has no service test');
  return test;
})();

/**
 * The spec runs the image privileged, as users do. `docker run --privileged` fails on this
 * machine's engine ("unable to apply caps"), so the same powers are spelt out instead; nothing
 * else of the production test changes.
 */
function runnableHere(test: ServiceTest): ServiceTest {
  const { privileged, ...run } = test.run ?? {};
  expect(privileged).toBe(true);
  return { ...test, run: { ...run, ...PRIVILEGES } };
}

/** The production test against a stand-in broken on purpose; short waits, it must fail anyway. */
function faulted(test: ServiceTest, fault: string, seconds: number): ServiceTest {
  const cap = <T extends { timeoutSeconds?: number }>(part: T | undefined): T | undefined =>
    part ? { ...part, timeoutSeconds: Math.min(part.timeoutSeconds ?? seconds, seconds) } : part;
  return {
    ...test,
    timeoutSeconds: 120,
    run: { ...test.run, env: { STANDIN_FAULT: fault } },
    steps: test.steps.map((step) => ({ ...step, waitHttp: cap(step.waitHttp), pollJson: cap(step.pollJson) })),
  };
}

let image: ImageDetails;
beforeAll(async () => {
  const id = await engine.build(
    {
      context: path.join(fixtures, 'mesos-mini-standin'),
      buildArgs: { MESOS_VERSION: '1.11.1' },
      labels: { 'io.mesos-pipeline.test': testId },
    },
    () => undefined,
  );
  const details = await engine.inspectImage(id);
  if (!details) throw new Error(`the stand-in ${id} vanished`);
  image = details;
});
afterAll(async () => {
  if (image)
    await docker
      .getImage(image.id)
      .remove({ force: true })
      .catch(() => undefined);
});

async function smoke(test: ServiceTest): Promise<{ result: SmokeResult; log: string; left: number }> {
  const runId = `standin-${uniqueId()}`;
  const sink = new BufferSink();
  const result = await runSmokeTests({ serviceTests: [test] }, image, {
    runtime: new DockerContainers(docker, runId),
    cgroups: new LocalHostCgroups(),
    clock: systemClock,
    log: new StreamLogger({ sink, redactor: new Redactor(), verbose: true }),
    signal: new AbortController().signal,
  });
  const left = (await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } })).length;
  return { result, log: sink.text, left };
}

describe('dockerfiles/mesos-mini/smoke.json against the stand-in', () => {
  it('passes every step, through the restart, up to a stop that leaves no cgroup behind', async () => {
    const { result, log, left } = await smoke(runnableHere(productionTest));
    expect(result.outcomes.map((outcome) => [outcome.kind, outcome.ok, outcome.problems])).toEqual([
      ['service', true, []],
    ]);
    expect(log).toContain(
      `step ${productionTest.steps.length} (docker stop leaves no cgroup of the container on the host)`,
    );
    expect(left).toBe(0);
  });

  it('fails at the agent step when the agent never registers', async () => {
    const { result, left } = await smoke(faulted(runnableHere(productionTest), 'agent-never-registers', 5));
    expect(result.ok).toBe(false);
    expect(result.outcomes[0]?.problems).toEqual([
      'step 3 (/master/state shows one activated agent): not satisfied within 5s; last: $.activated_slaves {"equals":1} does not hold (saw 0); $.slaves[*] {"count":1} does not hold (saw nothing)',
    ]);
    expect(left).toBe(0);
  });

  it('fails after the master restart when the master has forgotten the tasks', async () => {
    const { result, left } = await smoke(faulted(runnableHere(productionTest), 'forget-tasks-on-restart', 5));
    expect(result.ok).toBe(false);
    expect(result.outcomes[0]?.problems).toEqual([
      `step 13 (after the restart the agent is back and both tasks are still known): not satisfied within 5s; last: $..tasks[?(@.state==='TASK_RUNNING')] {"count":2} does not hold (saw nothing)`,
    ]);
    expect(left).toBe(0);
  });
});
