import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryEnv } from '../helpers/canary.js';
import { killLeftoverClis, startBuiltCli, type RunningCli } from '../helpers/cli.js';
import { copyFamily } from '../helpers/family-copy.js';
import { type FaultProxy, isBlobUpload, isManifestPut, type Rule, type SeenRequest } from '../helpers/fault-proxy.js';
import { GitRepo } from '../helpers/git-repo.js';
import { dockerOf, uniqueId } from '../helpers/stack.js';
import {
  BRANCH,
  canaryProxy,
  containersOf,
  expectNoCanary,
  expectUntouched,
  metadataOnly,
  publishSeed,
  pushFamily,
  readReport,
  requestsOf,
  releaseBranch,
  stack,
  startFrom,
  TODAY,
  VERSION,
} from '../helpers/scenario.js';

// SIGINT and SIGTERM while the pipeline builds, runs a smoke service test, and pushes. It must stop
// within 10 s, remove every container it started, never move a floating tag after the signal,
// exit non-zero, and leave the registry as it was. And one publish per registry and branch at a time.
// Each scenario has a namespace and a fault proxy of its own (its rules, its record of requests), so
// the scenarios run at once: they mostly wait on builds, smoke tests and the moment to interrupt.

const docker = dockerOf(stack);
const repo = new GitRepo();
releaseBranch(repo);
const seed = `intr-seed-${uniqueId()}`;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  await publishSeed(repo, pushFamily(), seed);
});
afterAll(async () => {
  killLeftoverClis();
  await Promise.all(proxies.map((proxy) => proxy.close()));
  repo.remove();
});

/** The family with a build step that takes 30 s, announced by `marker` on its output. */
const slowBuild = (marker: string): string =>
  pushFamily({
    'fixture-base/Dockerfile': (text) =>
      text.replace('COPY fixture-version', `RUN echo ${marker} && sleep 30\nCOPY fixture-version`),
  });

/** The family whose service test first runs a 30 s command inside the container (the base's tests: metadata). */
const slowServiceTest = (): string =>
  copyFamily({
    'fixture-base/smoke.json': metadataOnly,
    'fixture-app/smoke.json': (text) => {
      const spec = JSON.parse(text) as { serviceTests: { steps: unknown[] }[] };
      spec.serviceTests[0]?.steps.unshift({ exec: { command: ['sleep', '30'], timeoutSeconds: 60 } });
      return JSON.stringify(spec);
    },
  });

function publish(proxy: FaultProxy, namespace: string, family: string, runId: string, reportFile?: string): RunningCli {
  return startBuiltCli(
    [
      'publish',
      '--verbose',
      '--repo',
      repo.dir,
      '--images',
      family,
      '--registry',
      `${proxy.host}/${namespace}`,
      '--date',
      TODAY,
      '--branch',
      BRANCH,
      '--force',
      ...(reportFile ? ['--report', reportFile] : []),
    ],
    { DOCKER_HOST: stack.dockerHost, MESOS_PIPELINE_RUN_ID: runId, ...canaryEnv() },
  );
}

async function runningContainerOf(runId: string): Promise<void> {
  for (;;) {
    const running = await docker.listContainers({
      filters: { label: [`io.mesos-pipeline.run=${runId}`], status: ['running'] },
    });
    if (running.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Moment {
  family: (marker: string) => string;
  rules?: (inNamespace: (request: SeenRequest) => boolean) => Rule[];
  /** Resolves when the run is at the moment to interrupt. */
  reached: (
    cli: RunningCli,
    context: { runId: string; marker: string; proxy: FaultProxy; inNamespace: (request: SeenRequest) => boolean },
  ) => Promise<unknown>;
}

const moments: Record<string, Moment> = {
  'a build step': {
    family: slowBuild,
    // The step's own output: its container runs now.
    reached: (cli, { marker }) => cli.waitForLine(new RegExp(`\\] +${marker}$`)),
  },
  'a smoke service test': {
    family: () => slowServiceTest(),
    reached: async (cli, { runId }) => {
      await cli.waitForLine(/running service test "serves HTTP"/);
      await runningContainerOf(runId);
    },
  },
  // Pushes come after the smoke tests: their containers would only make the run longer here.
  'the push of the first layer': {
    family: () => pushFamily(),
    reached: (_, { proxy, inNamespace }) => proxy.waitFor((r) => inNamespace(r) && isBlobUpload(r)),
  },
  'the PUT of a floating tag': {
    family: () => pushFamily(),
    // The registry takes the PUT at once but answers only after 2 s: the signal comes meanwhile.
    rules: (inNamespace) => [
      {
        name: 'held',
        match: (r) => inNamespace(r) && isManifestPut({ tag: BRANCH, name: 'fixture-base' })(r),
        fault: { kind: 'delay', ms: 2000 },
      },
    ],
    reached: (_, { proxy, inNamespace }) => proxy.waitFor((r) => inNamespace(r) && isManifestPut({ tag: BRANCH })(r)),
  },
};

const cases = Object.keys(moments).flatMap((moment) =>
  (['SIGINT', 'SIGTERM'] as const).map((signal): [string, NodeJS.Signals] => [moment, signal]),
);

describe.concurrent('interrupted by a signal', () => {
  it.each(cases)(
    'during %s, %s: stops within 10 s, removes its containers, moves no floating tag, exits non-zero, ' +
      'registry as before',
    async (name, signal) => {
      const moment = moments[name] as Moment;
      const { namespace, before } = await startFrom(seed);
      const proxy = await canaryProxy(stack.registry, proxies);
      const inNamespace = requestsOf(namespace);
      const runId = `run-${uniqueId()}`;
      const marker = `marker${uniqueId()}`;
      const reportFile = `/tmp/${runId}.json`;
      proxy.setRules(moment.rules?.(inNamespace) ?? []);
      const cli = publish(proxy, namespace, moment.family(marker), runId, reportFile);
      await moment.reached(cli, { runId, marker, proxy, inNamespace });

      const signalledAt = Date.now();
      const requestsBefore = proxy.requests.length;
      cli.child.kill(signal);
      const result = await cli.result;
      const stoppedAfter = Date.now() - signalledAt;
      proxy.setRules([]);

      expect(result.code, result.stderr).toBe(signal === 'SIGINT' ? 130 : 143);
      const timeline = `stderr after the signal:\n${cli.stderrSince(signalledAt)}`;
      console.log(`${name}, ${signal}: stopped after ${stoppedAfter} ms`);
      expect(stoppedAfter, timeline).toBeLessThan(10_000);
      expect(result.stderr).toContain(`received ${signal}: stopping, removing containers, nothing more will be pushed`);
      expect(readReport(reportFile)).toMatchObject({ status: 'interrupted', branches: [{ status: 'interrupted' }] });
      // Every container it started is gone: its own (labelled) and the engine's for its build steps.
      expect(await containersOf(runId)).toBe(0);
      expect(
        (await docker.listContainers({ all: true })).filter((container) => container.Command.includes(marker)),
      ).toEqual([]);
      // After the signal, a floating or version tag was only ever put back to yesterday's image.
      const yesterdays = new Set(Object.values(before));
      const moves = proxy.requests
        .slice(requestsBefore)
        .filter((r) => inNamespace(r) && (isManifestPut({ tag: BRANCH })(r) || isManifestPut({ tag: VERSION })(r)));
      expect(moves.filter((r) => !yesterdays.has(r.manifestDigest ?? ''))).toEqual([]);
      await expectUntouched(namespace, before);
      // And it stays so: nothing of the run lands late.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await expectUntouched(namespace, before);
      expectNoCanary(result, reportFile);
    },
  );
});

describe('one publish per registry and branch at a time', () => {
  it('refuses a second publish while one runs, and the lock dies with its process, even by SIGKILL', async () => {
    const { namespace, before } = await startFrom(seed);
    const proxy = await canaryProxy(stack.registry, proxies);
    const firstRun = `run-${uniqueId()}`;
    const first = publish(proxy, namespace, slowServiceTest(), firstRun);
    await first.waitForLine(/^publishing 1\.7\.x to /);

    const second = await publish(proxy, namespace, pushFamily(), `run-${uniqueId()}`).result;
    expect(second.code, second.stderr).toBe(1);
    expect(second.stderr.trim().split('\n').pop()).toBe(
      `error: another publish of 1.7.x to ${proxy.host}/${namespace} is running (process ` +
        `${first.child.pid}); wait for it to finish`,
    );
    expect(second.stderr).not.toMatch(/building|publishing/);

    // SIGKILL: no handler runs, nothing is cleaned up by the process itself.
    first.child.kill('SIGKILL');
    await first.result;
    for (const container of await docker.listContainers({
      all: true,
      filters: { label: [`io.mesos-pipeline.run=${firstRun}`] },
    })) {
      // Another removal of it may be under way already (seen in a clean-clone run: 409 "removal
      // ... is already in progress"), or it is gone (404): either way it goes.
      await docker
        .getContainer(container.Id)
        .remove({ force: true })
        .catch((error: unknown) => {
          const status = (error as { statusCode?: number }).statusCode;
          if (status !== 404 && status !== 409) throw error;
        });
    }

    const third = publish(proxy, namespace, pushFamily(), `run-${uniqueId()}`);
    await third.waitForLine(/^publishing 1\.7\.x to /);
    third.child.kill('SIGINT');
    const thirdResult = await third.result;
    expect(thirdResult.stderr).not.toContain('another publish');
    expect(thirdResult.code).toBe(130);
    await expectUntouched(namespace, before);
  });
});
