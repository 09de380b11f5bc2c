import { existsSync, readdirSync, rmdirSync } from 'node:fs';
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
// stand-in that answers like Mesos, ZooKeeper and Marathon (test/fixtures/mesos-mini-standin),
// through every step: versions, Marathon's framework ID before and after restarts of the master,
// the agent and Marathon, the UCR task's address, the stop with tasks running and the host's
// cgroups afterwards. It proves the spec and the runner, and that each check fails when the cluster
// misbehaves; the real image gets its proof where the internet is reachable.
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
  // The stand-in changes state within seconds, not the minutes of a real cluster: polling it every
  // half second instead of every two saves time and changes no outcome (timeouts stay as they are).
  const often = <T extends { intervalMs?: number }>(part: T | undefined): T | undefined =>
    part ? { ...part, intervalMs: Math.min(part.intervalMs ?? 1000, 500) } : part;
  const steps = test.steps.map((step) => ({ ...step, waitHttp: often(step.waitHttp), pollJson: often(step.pollJson) }));
  return { ...test, run: { ...run, ...PRIVILEGES }, steps };
}

/**
 * The production test against a stand-in broken on purpose. The step expected to fail (1-based)
 * and those after it wait at most `seconds`; the steps before keep their own timeouts, so a busy
 * machine cannot make them fail first.
 */
function faulted(test: ServiceTest, fault: string, failingStep: number, seconds = 5): ServiceTest {
  const cap = <T extends { timeoutSeconds?: number }>(part: T | undefined): T | undefined =>
    part ? { ...part, timeoutSeconds: Math.min(part.timeoutSeconds ?? seconds, seconds) } : part;
  return {
    ...test,
    run: { ...test.run, env: { STANDIN_FAULT: fault } },
    steps: test.steps.map((step, index) =>
      index + 1 < failingStep ? step : { ...step, waitHttp: cap(step.waitHttp), pollJson: cap(step.pollJson) },
    ),
  };
}

// A step right after a restart gets longer: on a busy machine the restarted stand-in may not answer
// at all within 5 s, and the test would then see "no answer" instead of the fault it checks.
const AFTER_RESTART = 15;

let image: ImageDetails;
beforeAll(async () => {
  const id = await engine.build(
    {
      context: path.join(fixtures, 'mesos-mini-standin'),
      buildArgs: { MESOS_VERSION: '1.11.1', MARATHON_VERSION: '1.6.322' },
      labels: { 'io.mesos-pipeline.test': testId },
    },
    () => undefined,
  );
  const details = await engine.inspectImage(id);
  if (!details) throw new Error(`the stand-in ${id} vanished`);
  image = details;
});
afterAll(async () => {
  // Runs whose tests were filtered out still run: the image goes when every one of them is over.
  if (runs) await Promise.allSettled(Object.values(runs));
  if (image)
    await docker
      .getImage(image.id)
      .remove({ force: true })
      .catch(() => undefined);
});

async function smoke(test: ServiceTest): Promise<{ result: SmokeResult; log: string; left: number }> {
  const runId = `standin-${uniqueId()}`;
  const sink = new BufferSink();
  // A log file (here: nowhere) makes the runner copy the container's whole log into the log: the
  // stand-in writes a line per request read and per request answered, which a failure message shows.
  const files = { write: () => undefined };
  const result = await runSmokeTests({ serviceTests: [test] }, image, {
    runtime: new DockerContainers(docker, runId),
    cgroups: new LocalHostCgroups(),
    clock: systemClock,
    log: new StreamLogger({ sink, redactor: new Redactor(), verbose: true, files }),
    signal: new AbortController().signal,
  });
  const left = (await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } })).length;
  return { result, log: sink.text, left };
}

const MEMORY = '/sys/fs/cgroup/memory';

/** Removes what the leaking stand-in made in the host's hierarchy: exactly that. */
function removeLeakedCgroups(existed: boolean): void {
  const leaked = existsSync(`${MEMORY}/mesos`) ? readdirSync(`${MEMORY}/mesos`) : [];
  for (const name of leaked.filter((entry) => entry.startsWith('standin-leak-'))) rmdirSync(`${MEMORY}/mesos/${name}`);
  if (!existed && existsSync(`${MEMORY}/mesos`)) rmdirSync(`${MEMORY}/mesos`);
}

type Run = Promise<Awaited<ReturnType<typeof smoke>>>;
let runs: Record<'passing' | 'forgetsTasks' | 'newFramework' | 'leaksCgroup' | 'noAgent', Run>;
let leakExisted = false;

// Each run is a stand-in of its own that mostly waits on its clock (registrations, restarts): all
// start at once, and each test checks its own. The stand-in that leaks a cgroup named mesos on the
// host never runs beside the passing one, whose stop step would rightly see that cgroup as left
// behind: it starts when the passing run is over. The other faults fail before their stop.
beforeAll(() => {
  const passing = smoke(runnableHere(productionTest));
  runs = {
    passing,
    forgetsTasks: smoke(faulted(runnableHere(productionTest), 'forget-tasks-on-restart', 20, AFTER_RESTART)),
    newFramework: smoke(faulted(runnableHere(productionTest), 'new-framework-on-restart', 20, AFTER_RESTART)),
    leaksCgroup: passing
      .catch(() => undefined)
      .then(() => {
        leakExisted = existsSync(`${MEMORY}/mesos`);
        return smoke(faulted(runnableHere(productionTest), 'leak-mesos-cgroup', 30)).finally(() =>
          removeLeakedCgroups(leakExisted),
        );
      }),
    noAgent: smoke(faulted(runnableHere(productionTest), 'agent-never-registers', 3)),
  };
  // Each test awaits its own run; a run that fails before its test is reached is reported there.
  for (const run of Object.values(runs)) run.catch(() => undefined);
});

describe('dockerfiles/mesos-mini/smoke.json against the stand-in', () => {
  it('passes every step, through the three restarts, up to a stop that leaves no cgroup behind', async () => {
    const { result, log, left } = await runs.passing;
    expect(
      result.outcomes.map((outcome) => [outcome.kind, outcome.ok, outcome.problems]),
      log,
    ).toEqual([['service', true, []]]);
    for (const [index, step] of productionTest.steps.entries())
      expect(log).toContain(`step ${index + 1} (${step.name})`);
    expect(left).toBe(0);
  });
});

describe('dockerfiles/mesos-mini/smoke.json against stand-ins broken on purpose', () => {
  it('fails after the master restart when the master has forgotten the tasks', async () => {
    const { result, left, log } = await runs.forgetsTasks;
    expect(result.ok).toBe(false);
    expect(result.outcomes[0]?.problems, log).toEqual([
      `step 20 (after the master restart: the agent, the three tasks and Marathon's framework under the ` +
        `same ID): not satisfied within ${AFTER_RESTART}s; last: ` +
        `$..tasks[?(@.state==='TASK_RUNNING')] {"count":3} does not hold (saw nothing)`,
    ]);
    expect(left).toBe(0);
  });

  it(
    'fails after the master restart when Marathon came back as a new framework (issue 13’s failover ' + 'failure)',
    async () => {
      const { result, left, log } = await runs.newFramework;
      expect(result.ok).toBe(false);
      expect(result.outcomes[0]?.problems, log).toHaveLength(1);
      expect(result.outcomes[0]?.problems[0], log).toMatch(
        /^step 20 \(after the master restart: [^)]*\): not satisfied within 15s; last: \$\.frameworks\[\?\(@\.name==='marathon' && @\.active===true\)\]\.id \{"sameAs":"marathonFrameworkId"\} does not hold \(saw "standin-[0-9a-f-]+-0001", saved "standin-[0-9a-f-]+-0000"\)$/,
      );
      expect(left).toBe(0);
    },
  );

  it('fails at the stop when a cgroup named mesos appeared at the root of a host hierarchy', async () => {
    const { result, left, log } = await runs.leaksCgroup;
    expect(result.ok).toBe(false);
    expect(result.outcomes[0]?.problems, log).toEqual([
      `step 30 (${productionTest.steps.at(-1)?.name}): cgroups matching mesos appeared on the host ` +
        `during the test and are left after the stop: ${MEMORY}/mesos`,
    ]);
    expect(left).toBe(0);
    // The stand-in's cgroups are gone again, and a mesos folder only if the host had none before.
    expect(
      existsSync(`${MEMORY}/mesos`) ? readdirSync(`${MEMORY}/mesos`).filter((n) => n.startsWith('standin-leak-')) : [],
    ).toEqual([]);
  });

  it('fails at the agent step when the agent never registers', async () => {
    const { result, left, log } = await runs.noAgent;
    expect(result.ok).toBe(false);
    expect(result.outcomes[0]?.problems, log).toEqual([
      'step 3 (/master/state shows one activated agent): not satisfied within 5s; last: ' +
        '$.activated_slaves {"equals":1} does not hold (saw 0); $.slaves[*] {"count":1} does not hold (saw nothing)',
    ]);
    expect(left).toBe(0);
  });
});
