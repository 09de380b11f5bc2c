import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killLeftoverClis, runBuiltCli, type CliResult } from '../helpers/cli.js';
import {
  type FaultProxy,
  isBlobUpload,
  isBlobUploadWithBody,
  isManifestPut,
  type Rule,
  type SeenRequest,
} from '../helpers/fault-proxy.js';
import { GitRepo } from '../helpers/git-repo.js';
import { registryState } from '../helpers/registry.js';
import { uniqueId } from '../helpers/stack.js';
import {
  BRANCH,
  canaryProxy,
  containersOf,
  expectNoCanary,
  expectPublished,
  expectUntouched,
  open,
  publishSeed,
  pushFamily,
  readReport,
  releaseBranch,
  reposOf,
  requestsOf,
  scenarioEnv,
  stack,
  startFrom,
  TODAY,
  todaysPublishArgs,
} from '../helpers/scenario.js';
import type { RunReport } from '../../pipeline/publish/report.js';

// Faults injected between the engine (and the pipeline's own registry client) and the real
// registry, by a proxy that also demands the canary credentials. Whatever happens, each branch is
// either published completely or the registry is left exactly as it was. The family's smoke tests
// are its metadata tests: the push is under test here, and a container per command or service test
// would only add seconds to every run.

const repo = new GitRepo();
releaseBranch(repo);
const family = pushFamily();
const seed = `faults-seed-${uniqueId()}`;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  await publishSeed(repo, family, seed);
});
afterAll(async () => {
  killLeftoverClis();
  await Promise.all(proxies.map((proxy) => proxy.close()));
  repo.remove();
});

/**
 * A namespace holding a copy of the seed, and a proxy of its own in front of the registry: each
 * scenario has its own rules and its own record of requests, so the scenarios run at once.
 */
async function startScenario(): Promise<{ namespace: string; before: Record<string, string>; proxy: FaultProxy }> {
  const proxy = await canaryProxy(stack.registry, proxies);
  return { ...(await startFrom(seed)), proxy };
}

interface Run {
  result: CliResult;
  report: RunReport;
  reportFile: string;
  runId: string;
}

/**
 * Today's publish of 1.7.x through the proxy with `rules`: rebuilt (--force) so the engine pushes,
 * or with `warm`, the nightly's path for an unchanged branch (dated tags added in the registry).
 */
async function publishThrough(
  proxy: FaultProxy,
  namespace: string,
  rules: Rule[],
  options: { retries?: number; env?: Record<string, string>; during?: () => Promise<void>; warm?: boolean } = {},
): Promise<Run> {
  proxy.setRules(rules);
  const runId = `run-${uniqueId()}`;
  const reportFile = `/tmp/${runId}.json`;
  const running = runBuiltCli(
    todaysPublishArgs(repo, family, `${proxy.host}/${namespace}`, {
      runId,
      retries: options.retries ?? 3,
      warm: options.warm,
    }),
    { ...scenarioEnv(runId, 200), ...options.env },
  );
  await options.during?.();
  const result = await running;
  proxy.setRules([]);
  expectNoCanary(result, reportFile);
  expect(await containersOf(runId)).toBe(0);
  return { result, report: readReport(reportFile), reportFile, runId };
}

const datedTag = new RegExp(`^${BRANCH.replace(/\./g, '\\.')}-\\d{4}-\\d{2}-\\d{2}$`);

describe.concurrent('transient registry faults within the retry bound end in a complete publish', () => {
  it(
    '503s and 429s (with Retry-After) on a share of blob uploads and manifest PUTs: retried, visibly, ' +
      'honouring Retry-After',
    async () => {
      const { namespace, before, proxy } = await startScenario();
      const inNamespace = requestsOf(namespace);
      const run = await publishThrough(proxy, namespace, [
        {
          name: 'blob-503',
          match: (r) => inNamespace(r) && isBlobUploadWithBody(r),
          fault: { kind: 'status', status: 503 },
          times: 2,
        },
        {
          name: 'dated-429',
          match: (r) => inNamespace(r) && isManifestPut({ tag: datedTag, name: 'fixture-app' })(r),
          fault: { kind: 'status', status: 429, retryAfterSeconds: 1 },
          times: 1,
        },
        {
          name: 'floating-429',
          match: (r) => inNamespace(r) && isManifestPut({ tag: BRANCH, name: 'fixture-base' })(r),
          fault: { kind: 'status', status: 429, retryAfterSeconds: 2 },
          times: 1,
        },
      ]);
      expect(run.result.code, run.result.stderr).toBe(0);
      await expectPublished(namespace, before, run.report, repo.sha(BRANCH));
      expect(proxy.faulted('blob-503')).toHaveLength(2);
      expect(proxy.faulted('dated-429')).toHaveLength(1);
      expect(proxy.faulted('floating-429')).toHaveLength(1);
      // Every retry shows in the progress output. The engine retries some failed layer uploads
      // itself and gives others up to the pipeline, which pushes again: either way, a warning.
      expect(run.result.stderr).toMatch(
        /\[fixture-base@1\.7\.x\] warning: (the registry failed layer [0-9a-f]+; the engine retries it in \d+s|push .*fixture-base:1\.7\.x-2026-11-27 failed \(attempt 1 of 4\): .*503 Service Unavailable; retrying)/,
      );
      expect(run.result.stderr).toMatch(
        /\[fixture-app@1\.7\.x\] warning: push .*fixture-app:1\.7\.x-2026-11-27 failed \(attempt 1 of 4\): .*toomanyrequests.*; retrying/,
      );
      expect(run.result.stderr).toMatch(
        /warning: PUT manifest .*fixture-base:1\.7\.x failed \(attempt 1 of 4\): .*429 Too Many Requests.*; retrying, waiting at least 2s as the registry asked/,
      );
      // The registry asked for 2 s: the next PUT of that tag came no sooner.
      const floatingPuts = proxy.requests.filter(
        (r) => inNamespace(r) && isManifestPut({ tag: BRANCH, name: 'fixture-base' })(r),
      );
      expect((floatingPuts[1]?.at ?? 0) - (floatingPuts[0]?.at ?? 0)).toBeGreaterThanOrEqual(2000);
    },
  );

  it('a connection reset in the middle of a blob upload', async () => {
    const { namespace, before, proxy } = await startScenario();
    const inNamespace = requestsOf(namespace);
    const run = await publishThrough(proxy, namespace, [
      { name: 'reset', match: (r) => inNamespace(r) && isBlobUploadWithBody(r), fault: { kind: 'reset' }, times: 2 },
    ]);
    expect(run.result.code, run.result.stderr).toBe(0);
    await expectPublished(namespace, before, run.report, repo.sha(BRANCH));
    const resets = proxy.faulted('reset');
    expect(resets).toHaveLength(2);
    expect(resets.every((request) => request.status === undefined)).toBe(true);
    expect(run.result.stderr).toMatch(
      /\[fixture-base@1\.7\.x\] warning: (the registry failed layer [0-9a-f]+; the engine retries it|push .*fixture-base:1\.7\.x-2026-11-27 failed \(attempt 1 of 4\): .*connection reset by peer; retrying)/,
    );
  });

  it('answers delayed past the pipeline timeouts, for an engine push and for a manifest PUT', async () => {
    const { namespace, before, proxy } = await startScenario();
    const inNamespace = requestsOf(namespace);
    const run = await publishThrough(
      proxy,
      namespace,
      [
        // Answered after 6 s: the push is given up after 3 s of silence and tried again.
        {
          name: 'slow-layer',
          match: (r) => inNamespace(r) && isBlobUploadWithBody(r),
          fault: { kind: 'delay', ms: 6000 },
          times: 1,
        },
        // Answered after 4 s: the PUT is given up after 1.5 s and tried again.
        {
          name: 'slow-put',
          match: (r) => inNamespace(r) && isManifestPut({ tag: BRANCH, name: 'fixture-app' })(r),
          fault: { kind: 'delay', ms: 4000 },
          times: 1,
        },
      ],
      { env: { MESOS_PIPELINE_REGISTRY_TIMEOUT_MS: '1500', MESOS_PIPELINE_PUSH_STALL_MS: '3000' } },
    );
    expect(run.result.code, run.result.stderr).toBe(0);
    await expectPublished(namespace, before, run.report, repo.sha(BRANCH));
    expect(run.result.stderr).toMatch(
      /\[fixture-base@1\.7\.x\] warning: push .*fixture-base:1\.7\.x-2026-11-27 failed \(attempt 1 of 4\): .*no progress for 3s; the registry stopped answering; retrying/,
    );
    expect(run.result.stderr).toMatch(
      /warning: PUT manifest .*fixture-app:1\.7\.x failed \(attempt 1 of 4\): .* did not answer within 1\.5s; retrying/,
    );
    // The delayed PUT's answer never reached the pipeline: it had given up on it.
    expect(proxy.faulted('slow-put')[0]?.status).toBeUndefined();
  });

  it('the registry going away entirely mid-push and coming back', async () => {
    const { namespace, before, proxy } = await startScenario();
    const inNamespace = requestsOf(namespace);
    let cameBack = 0;
    // Away for 2 s; retries wait 1 s, 2 s, 4 s (at least): the outage is within the retry bound.
    const run = await publishThrough(proxy, namespace, [], {
      env: { MESOS_PIPELINE_RETRY_MIN_MS: '1000' },
      during: async () => {
        await proxy.waitFor((r) => inNamespace(r) && isBlobUpload(r));
        await proxy.down();
        await new Promise((resolve) => setTimeout(resolve, 2000));
        await proxy.up();
        cameBack = Date.now();
      },
    });
    expect(run.result.code, run.result.stderr).toBe(0);
    await expectPublished(namespace, before, run.report, repo.sha(BRANCH));
    // The tags were written after the registry came back.
    expect(
      proxy.requests.filter((r) => inNamespace(r) && isManifestPut()(r) && r.at >= cameBack).length,
    ).toBeGreaterThanOrEqual(6);
    expect(run.result.stderr).toMatch(
      /\[fixture-base@1\.7\.x\] warning: (push .*fixture-base:1\.7\.x-2026-11-27 failed \(attempt 1 of 4\): .*; retrying|the registry failed layer)/,
    );
  });
});

describe.concurrent(
  'persistent registry faults end in exit 1, a message naming registry, image, tag and cause, and the ' +
    'registry as it was',
  () => {
    it(
      '503 on every PUT of a floating tag: bounded retries, then every tag put back, the already moved one ' + 'too',
      async () => {
        const { namespace, before, proxy } = await startScenario();
        const inNamespace = requestsOf(namespace);
        const appFloating = (r: SeenRequest): boolean =>
          inNamespace(r) && isManifestPut({ tag: BRANCH, name: 'fixture-app' })(r);
        const run = await publishThrough(
          proxy,
          namespace,
          [{ name: 'floating-503', match: appFloating, fault: { kind: 'status', status: 503 } }],
          { retries: 2 },
        );
        expect(run.result.code, run.result.stderr).toBe(1);
        expect(run.result.stderr).toContain(`[1.7.x] error: FAILED at retag (fixture-app) after`);
        expect(run.result.stderr).toMatch(
          new RegExp(
            `FAILED at retag .*: manifest ${proxy.host}/${namespace}/fixture-app:1\\.7\\.x: 503 Service Unavailable`,
          ),
        );
        expect(proxy.requests.filter(appFloating)).toHaveLength(3);
        expect(run.report.branches[0]?.failure).toMatchObject({ step: 'retag', image: 'fixture-app' });
        // fixture-base's floating tag had moved before fixture-app's failed: it was put back.
        expect(run.report.branches[0]?.rollback).toEqual(
          expect.arrayContaining([
            expect.stringMatching(
              new RegExp(`restored .*/fixture-base:1\\.7\\.x to ${before[`${namespace}/fixture-base:${BRANCH}`]}`),
            ),
          ]),
        );
        await expectUntouched(namespace, before);
      },
    );

    // The pipeline's own PUTs refused with 401: never retried (registry-http-auth.test.ts), the
    // branch put back as it was (publish-run.test.ts). The engine's needs the real engine.
    it('401 on the manifest PUT the engine makes (the dated tag): never retried', async () => {
      const { namespace, before, proxy } = await startScenario();
      const inNamespace = requestsOf(namespace);
      const target = (r: SeenRequest): boolean =>
        inNamespace(r) && isManifestPut({ tag: `${BRANCH}-${TODAY}`, name: 'fixture-app' })(r);
      const run = await publishThrough(proxy, namespace, [
        { name: '401', match: target, fault: { kind: 'status', status: 401 } },
      ]);
      expect(run.result.code, run.result.stderr).toBe(1);
      const line = run.result.stderr.split('\n').find((l) => l.includes('FAILED at')) ?? '';
      expect(line).toContain(`[1.7.x] error: FAILED at push (fixture-app)`);
      expect(line.replaceAll(proxy.host, 'HOST').replaceAll(namespace, 'NS')).toMatch(
        /push HOST\/NS\/fixture-app:1\.7\.x-2026-11-27 to HOST: unauthorized/,
      );
      expect(proxy.requests.filter(target)).toHaveLength(1);
      expect(run.result.stderr).not.toMatch(/failed \(attempt 1 of/);
      await expectUntouched(namespace, before);
    });

    it('answers that never come in time: the PUTs land nonetheless, and are undone', async () => {
      const { namespace, before, proxy } = await startScenario();
      const inNamespace = requestsOf(namespace);
      const appFloating = (r: SeenRequest): boolean =>
        inNamespace(r) && isManifestPut({ tag: BRANCH, name: 'fixture-app' })(r);
      const run = await publishThrough(
        proxy,
        namespace,
        [{ name: 'late', match: appFloating, fault: { kind: 'delay', ms: 8000 } }],
        { retries: 1, env: { MESOS_PIPELINE_REGISTRY_TIMEOUT_MS: '1500' } },
      );
      expect(run.result.code, run.result.stderr).toBe(1);
      expect(run.result.stderr).toMatch(
        new RegExp(
          `FAILED at retag \\(fixture-app\\) .*: manifest ` +
            `${proxy.host}/${namespace}/fixture-app:1\\.7\\.x: ${proxy.host} did not answer within 1\\.5s`,
        ),
      );
      // Two attempts to move the tag (the run's); the rest are the rollback putting yesterday's back.
      const yesterdays = before[`${namespace}/fixture-app:${BRANCH}`];
      const attempts = proxy.requests.filter((r) => appFloating(r) && r.manifestDigest !== yesterdays);
      expect(attempts).toHaveLength(2);
      expect(attempts.every((request) => request.status === undefined)).toBe(true);
      // Its answers came too late as well, but reading the tag back shows the rollback landed.
      expect(run.result.stderr).toMatch(/warning: put back .*fixture-app:1\.7\.x \(confirmed by reading it back\)/);
      expect(run.result.stderr).not.toContain('half-published');
      await expectUntouched(namespace, before);
    });

    it('an engine push that stalls for good: given up after the stall timeout, each attempt', async () => {
      const { namespace, before, proxy } = await startScenario();
      const inNamespace = requestsOf(namespace);
      const run = await publishThrough(
        proxy,
        namespace,
        [
          {
            name: 'stall',
            match: (r) => inNamespace(r) && isBlobUploadWithBody(r),
            fault: { kind: 'delay', ms: Infinity },
          },
        ],
        {
          retries: 1,
          env: { MESOS_PIPELINE_PUSH_STALL_MS: '2000' },
        },
      );
      expect(run.result.code, run.result.stderr).toBe(1);
      expect(run.result.stderr).toMatch(
        new RegExp(
          `FAILED at push \\(fixture-base\\) .*: push ` +
            `${proxy.host}/${namespace}/fixture-base:1\\.7\\.x-2026-11-27 to ${proxy.host}: no progress ` +
            `for 2s; the registry stopped answering`,
        ),
      );
      expect(run.result.stderr.match(/no progress for 2s/g)?.length).toBeGreaterThanOrEqual(2);
      await expectUntouched(namespace, before);
    });

    it(
      'the registry going away for good mid-push: exit 1, and the run says it could not check what it ' + 'left',
      async () => {
        const { namespace, before, proxy } = await startScenario();
        const inNamespace = requestsOf(namespace);
        const run = await publishThrough(proxy, namespace, [], {
          retries: 1,
          during: async () => {
            await proxy.waitFor((r) => inNamespace(r) && isBlobUpload(r));
            await proxy.down();
          },
        });
        await proxy.up();
        expect(run.result.code, run.result.stderr).toBe(1);
        expect(run.result.stderr).toMatch(
          new RegExp(
            `FAILED at push \\(fixture-base\\) .*: push ` +
              `${proxy.host}/${namespace}/fixture-base:1\\.7\\.x-2026-11-27 to ${proxy.host}: .*connection refused`,
          ),
        );
        expect(run.result.stderr).toMatch(
          new RegExp(
            `error: the registry may be left half-published: could not check or put back ` +
              `${proxy.host}/${namespace}/fixture-base:1\\.7\\.x-2026-11-27: .*cannot reach`,
          ),
        );
        await expectUntouched(namespace, before);
      },
    );
  },
);

describe.concurrent('the warm path: an unchanged branch gets its dated tags in the registry, without a build', () => {
  const todaysDated =
    (namespace: string, name: string) =>
    (r: SeenRequest): boolean =>
      requestsOf(namespace)(r) && isManifestPut({ tag: `${BRANCH}-${TODAY}`, name })(r);

  it('a 503 on a dated tag PUT is retried and the branch is complete, on the same digests', async () => {
    const { namespace, before, proxy } = await startScenario();
    const run = await publishThrough(
      proxy,
      namespace,
      [
        {
          name: 'dated-503',
          match: todaysDated(namespace, 'fixture-app'),
          fault: { kind: 'status', status: 503 },
          times: 1,
        },
      ],
      { warm: true },
    );
    expect(run.result.code, run.result.stderr).toBe(0);
    expect(run.report.branches[0]?.status).toBe('unchanged');
    expect(run.result.stderr).toMatch(
      /warning: PUT manifest .*fixture-app:1\.7\.x-2026-11-27 failed \(attempt 1 of 4\): .*503 Service Unavailable.*; retrying/,
    );
    const expected = { ...before };
    for (const image of ['fixture-base', 'fixture-app'])
      expected[`${namespace}/${image}:${BRANCH}-${TODAY}`] = before[`${namespace}/${image}:${BRANCH}`] as string;
    expect(await registryState(open, reposOf(namespace))).toEqual(expected);
  });

  it('a persistent 503 removes the dated tag already added, and none of the tags that share its digest', async () => {
    const { namespace, before, proxy } = await startScenario();
    const appDated = todaysDated(namespace, 'fixture-app');
    const run = await publishThrough(
      proxy,
      namespace,
      [{ name: 'dated-503', match: appDated, fault: { kind: 'status', status: 503 } }],
      { warm: true, retries: 1 },
    );
    expect(run.result.code, run.result.stderr).toBe(1);
    expect(run.result.stderr).toMatch(
      new RegExp(
        `FAILED at retag \\(fixture-app\\) .*: manifest ` +
          `${proxy.host}/${namespace}/fixture-app:1\\.7\\.x-2026-11-27: 503 Service Unavailable`,
      ),
    );
    // fixture-base's new dated tag was in: it went again, on its own (its digest is yesterday's too).
    expect(proxy.requests.filter(todaysDated(namespace, 'fixture-base')).map((r) => r.status)).toEqual([201, 201]);
    expect(run.report.branches[0]?.rollback).toEqual([
      expect.stringMatching(/^deleted .*fixture-base:1\.7\.x-2026-11-27$/),
    ]);
    await expectUntouched(namespace, before);
  });
});
