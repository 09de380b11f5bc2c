import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killLeftoverClis, startBuiltCli, type RunningCli } from '../helpers/cli.js';
import { type FaultProxy, isManifestPut, type SeenRequest } from '../helpers/fault-proxy.js';
import { GitRepo } from '../helpers/git-repo.js';
import { PrivateRegistry } from '../helpers/private-registry.js';
import { configOf, copyTags, manifestOf, registryState } from '../helpers/registry.js';
import { pushSyntheticImage } from '../helpers/registry-writes.js';
import { uniqueId } from '../helpers/stack.js';
import {
  BRANCH,
  canaryProxy,
  containersOf,
  expectNoCanary,
  IMAGES,
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
  VERSION,
  YESTERDAY,
} from '../helpers/scenario.js';
import type { RunReport } from '../../pipeline/publish/report.js';

// The rollback undoes only what this run wrote (compare-and-swap, as far as a registry allows), and
// never leaves a tag on an image this run did not build and test: not on another writer's image it
// would "restore" over, not on an empty placeholder where the registry refuses deletes.

const repo = new GitRepo();
releaseBranch(repo);
// The smoke tests are the family's metadata tests: the rollback is under test, not the smoke runner.
const family = pushFamily();
const seed = `rollback-seed-${uniqueId()}`;
const privateSeed = `nodelete-seed-${uniqueId()}`;
/** A registry of this file's own that refuses deletes, as the reference registry does by default. */
let refusing: PrivateRegistry;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  refusing = await PrivateRegistry.start({ deleteEnabled: false });
  await Promise.all([publishSeed(repo, family, seed), publishSeed(repo, family, privateSeed, refusing.host)]);
});
afterAll(async () => {
  killLeftoverClis();
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await refusing?.stop();
  repo.remove();
});

/** A proxy of the test's own in front of `upstream`: its rules and its record of requests are the test's. */
const proxyTo = (upstream: string): Promise<FaultProxy> => canaryProxy(upstream, proxies);

/** Every PUT of `name:tag` in `namespace` through `proxy` gets a 503 from now on; returns the matcher. */
function failEveryPut(
  proxy: FaultProxy,
  namespace: string,
  tag: string,
  name: string,
): (request: SeenRequest) => boolean {
  const match = (r: SeenRequest): boolean => requestsOf(namespace)(r) && isManifestPut({ tag, name })(r);
  proxy.setRules([{ name: 'put-503', match, fault: { kind: 'status', status: 503 } }]);
  return match;
}

function publishThrough(
  through: FaultProxy,
  namespace: string,
  runId: string,
  options: { family?: string; warm?: boolean; retries?: number } = {},
): RunningCli {
  return startBuiltCli(
    todaysPublishArgs(repo, options.family ?? family, `${through.host}/${namespace}`, {
      runId,
      retries: options.retries ?? 1,
      warm: options.warm,
    }),
    scenarioEnv(runId, 1000),
  );
}

/** Every tag points at what it pointed at before the run, or at an image this run built and tested. */
async function expectOnlyTestedImages(
  host: string,
  namespace: string,
  before: Record<string, string>,
  report: RunReport,
): Promise<void> {
  const tested = new Set(
    (report.branches[0]?.images ?? [])
      .filter((image) => image.smoke && image.smoke.length > 0 && image.smoke.every((outcome) => outcome.ok))
      .map((image) => image.digest),
  );
  const known = new Set(Object.values(before));
  for (const [tag, digest] of Object.entries(await registryState({ host }, reposOf(namespace)))) {
    expect(known.has(digest) || tested.has(digest), `${tag} -> ${digest}`).toBe(true);
    const [repository, name] = [tag.slice(0, tag.lastIndexOf(':')), tag.slice(tag.lastIndexOf(':') + 1)];
    const manifest = await manifestOf({ host }, repository, name);
    expect(manifest?.layers.length, `${tag} holds an image with layers`).toBeGreaterThan(0);
    const config = await configOf({ host }, repository, manifest?.config as string);
    expect(config.config.Labels?.['org.opencontainers.image.revision'], tag).toBe(repo.sha(BRANCH));
  }
}

describe.concurrent('another writer', () => {
  it(
    'moves the floating tags while this run builds; this run then fails; the other writer keeps its ' + 'tags',
    async () => {
      const { namespace, before } = await startFrom(seed);
      const proxy = await proxyTo(stack.registry);
      const runId = `run-${uniqueId()}`;
      failEveryPut(proxy, namespace, BRANCH, 'fixture-app');
      // A build step of a few seconds, so the other writer's publish lands while this run builds.
      const slow = pushFamily({
        'fixture-base/Dockerfile': (text) =>
          text.replace('COPY fixture-version', `RUN echo ${runId} && sleep 4\nCOPY fixture-version`),
      });
      const cli = publishThrough(proxy, namespace, runId, { family: slow });
      await cli.waitForLine(/^\[fixture-base@1\.7\.x\] building from /);
      const theirs: Record<string, string> = {};
      for (const image of IMAGES) {
        const repository = `${namespace}/${image}`;
        theirs[`${repository}:${BRANCH}`] = await pushSyntheticImage(stack.registry, repository, [BRANCH]);
      }
      expect(cli.stderr()).not.toContain('[fixture-base@1.7.x] built ');
      const result = await cli.result;
      proxy.setRules([]);

      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toContain('[1.7.x] error: FAILED at retag (fixture-app)');
      // This run had moved fixture-base's floating tag before fixture-app's failed: it goes back to
      // the other writer's image, the state right before this run's first push, not to yesterday's.
      expect(await registryState(open, reposOf(namespace))).toEqual({ ...before, ...theirs });
      expect(readReport(`/tmp/${runId}.json`).branches[0]?.rollback).toEqual(
        expect.arrayContaining([
          `restored ${proxy.host}/${namespace}/fixture-base:${BRANCH} to ` +
            `${theirs[`${namespace}/fixture-base:${BRANCH}`]}`,
        ]),
      );
      expectNoCanary(result, `/tmp/${runId}.json`);
      expect(await containersOf(runId)).toBe(0);
    },
  );

  it(
    'moves a tag after this run moved it; this run then fails and leaves that tag alone, saying who has ' + 'it',
    async () => {
      const { namespace, before } = await startFrom(seed);
      const proxy = await proxyTo(stack.registry);
      const runId = `run-${uniqueId()}`;
      const appFloating = failEveryPut(proxy, namespace, BRANCH, 'fixture-app');
      const cli = publishThrough(proxy, namespace, runId, { retries: 2 });
      // fixture-base's floating tag is this run's by now; the run backs off before trying again.
      await proxy.waitFor(appFloating);
      const baseFloating = `${namespace}/fixture-base:${BRANCH}`;
      const theirs = await pushSyntheticImage(stack.registry, `${namespace}/fixture-base`, [BRANCH]);
      const result = await cli.result;
      proxy.setRules([]);

      expect(result.code, result.stderr).toBe(1);
      const after = await registryState(open, reposOf(namespace));
      expect(after).toEqual({ ...before, [baseFloating]: theirs });
      expect(result.stderr).toMatch(
        new RegExp(
          `warning: left ${proxy.host}/${baseFloating}: it points at ${theirs}, which this run did not ` +
            `write \\(another writer moved it`,
        ),
      );
      expect(result.stderr).not.toContain('half-published');
      expect(await containersOf(runId)).toBe(0);
    },
  );
});

describe.concurrent('a registry that refuses deletes (the reference registry by default)', () => {
  /** A namespace of its own holding a copy of the seed: each test starts from the same state. */
  async function startFromPrivate(): Promise<{ namespace: string; before: Record<string, string> }> {
    const namespace = `nodelete-${uniqueId()}`;
    for (const image of IMAGES) {
      await copyTags({ host: refusing.host }, `${privateSeed}/${image}`, `${namespace}/${image}`, [
        `${BRANCH}-${YESTERDAY}`,
        BRANCH,
        VERSION,
      ]);
    }
    const before = await registryState({ host: refusing.host }, reposOf(namespace));
    expect(Object.keys(before)).toHaveLength(6);
    return { namespace, before };
  }

  it(
    'an unchanged branch whose second dated tag fails: the first stays on the tested image, named, never ' +
      'on a placeholder',
    async () => {
      const { namespace, before } = await startFromPrivate();
      const through = await proxyTo(refusing.host);
      const runId = `run-${uniqueId()}`;
      failEveryPut(through, namespace, `${BRANCH}-${TODAY}`, 'fixture-app');
      const result = await publishThrough(through, namespace, runId, { warm: true }).result;
      through.setRules([]);

      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/FAILED at retag \(fixture-app\)/);
      const baseDated = `${namespace}/fixture-base:${BRANCH}-${TODAY}`;
      // The reused image (tested when it was published) keeps the new dated tag: deleting it would
      // mean pointing it at a placeholder first, which the registry would then refuse to delete.
      expect(await registryState({ host: refusing.host }, reposOf(namespace))).toEqual({
        ...before,
        [baseDated]: before[`${namespace}/fixture-base:${BRANCH}`],
      });
      expect(result.stderr).toMatch(
        new RegExp(
          `error: .*${through.host}/${baseDated}.* stays on the tested image ` +
            `${before[`${namespace}/fixture-base:${BRANCH}`]}.*refuses deletes`,
        ),
      );
      await expectOnlyTestedImages(refusing.host, namespace, before, readReport(`/tmp/${runId}.json`));
      expect(readReport(`/tmp/${runId}.json`).branches[0]?.images[0]?.tags).toEqual([`${through.host}/${baseDated}`]);
    },
  );

  it(
    'a rebuilt branch whose floating tag fails: the new dated tags stay on the tested images, named; the ' +
      'floating tag goes back',
    async () => {
      const { namespace, before } = await startFromPrivate();
      const through = await proxyTo(refusing.host);
      const runId = `run-${uniqueId()}`;
      failEveryPut(through, namespace, BRANCH, 'fixture-app');
      const result = await publishThrough(through, namespace, runId).result;
      through.setRules([]);

      expect(result.code, result.stderr).toBe(1);
      const report = readReport(`/tmp/${runId}.json`);
      const after = await registryState({ host: refusing.host }, reposOf(namespace));
      for (const image of IMAGES) {
        const repository = `${namespace}/${image}`;
        expect(after[`${repository}:${BRANCH}`]).toBe(before[`${repository}:${BRANCH}`]);
        const pushed = report.branches[0]?.images.find((candidate) => candidate.name === image);
        expect(after[`${repository}:${BRANCH}-${TODAY}`]).toBe(pushed?.digest);
        expect(pushed?.tags).toEqual([`${through.host}/${repository}:${BRANCH}-${TODAY}`]);
        expect(result.stderr).toMatch(
          new RegExp(`error: .*${through.host}/${repository}:${BRANCH}-${TODAY}.* stays on the tested image`),
        );
      }
      await expectOnlyTestedImages(refusing.host, namespace, before, report);
    },
  );
});
