import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { RunReport } from '../../pipeline/publish/report.js';
import { CANARY_PASSWORD, CANARY_USER, canaryEnv, leaks } from './canary.js';
import { runBuiltCli, type CliResult } from './cli.js';
import { copyFamily, thenEdits } from './family-copy.js';
import { FaultProxy, type SeenRequest } from './fault-proxy.js';
import type { GitRepo } from './git-repo.js';
import { configOf, copyTags, manifestOf, registryState } from './registry.js';
import { dockerOf, readStack, uniqueId } from './stack.js';

// What the failure scenarios share: a registry state to start from (yesterday's complete publish
// of 1.7.x, a release branch whose head is 1.7.0, so every image has a dated, a floating and a
// version tag), and the two outcomes a run may have per branch: published completely, or the
// registry left exactly as it was.

export const stack = readStack();
export const open = { host: stack.registry };
export const YESTERDAY = '2026-11-26';
export const TODAY = '2026-11-27';
export const IMAGES = ['fixture-base', 'fixture-app'];
export const BRANCH = '1.7.x';
export const VERSION = '1.7.0';

/** A smoke spec (smoke.json text) with only its metadata test. */
export const metadataOnly = (text: string): string =>
  JSON.stringify({ metadataTest: (JSON.parse(text) as { metadataTest: unknown }).metadataTest });

/**
 * A copy of the fixture family for scenarios about the push, the rollback or an interrupt outside
 * the smoke tests: its smoke specs keep only their label checks (read from the image config, no
 * container), and fixture-app is only its own layer on the base (no EXPOSE, STOPSIGNAL or CMD).
 * The classic builder commits a container per instruction, and fixture-app is rebuilt by every
 * run on the base it just built: those steps and the smoke tests' containers were most of each
 * run's time. The smoke tests and the full family are the subject of smoke-runner, publish and
 * mesos-mini-smoke. `edit` as for copyFamily, applied after these edits.
 */
export function pushFamily(edit: Record<string, (text: string) => string> = {}): string {
  const labelsOnly = (text: string): string =>
    JSON.stringify({
      metadataTest: { labels: (JSON.parse(text) as { metadataTest: { labels: unknown } }).metadataTest.labels },
    });
  return copyFamily(
    thenEdits(
      {
        'fixture-base/smoke.json': labelsOnly,
        'fixture-app/smoke.json': labelsOnly,
        'fixture-app/Dockerfile': (text) => text.replace(/^(EXPOSE|STOPSIGNAL|CMD) .*\n/gm, ''),
      },
      edit,
    ),
  );
}

export function reposOf(namespace: string): string[] {
  return IMAGES.map((image) => `${namespace}/${image}`);
}

/** A release branch 1.7.x whose head is the release 1.7.0. */
export function releaseBranch(repo: GitRepo): void {
  repo.commit(BRANCH);
  repo.tag(VERSION, BRANCH);
}

/** `publish` of the release branch of `repo` with `family` into `registry` (host/namespace) on `date`. */
function branchPublishArgs(repo: GitRepo, family: string, registry: string, date: string): string[] {
  return [
    'publish',
    '--repo',
    repo.dir,
    '--images',
    family,
    '--registry',
    registry,
    '--date',
    date,
    '--branch',
    BRANCH,
  ];
}

/** Publishes yesterday's images of `repo` into `namespace` on a real registry (the open one), directly. */
export async function publishSeed(
  repo: GitRepo,
  family: string,
  namespace: string,
  host = stack.registry,
): Promise<void> {
  const result = await runBuiltCli(branchPublishArgs(repo, family, `${host}/${namespace}`, YESTERDAY), {
    DOCKER_HOST: stack.dockerHost,
  });
  expect(result.stderr).not.toMatch(/error:/);
  expect(result.code).toBe(0);
}

/** A new namespace holding a copy of the seed's tags: each scenario starts from the same state. */
export async function startFrom(seed: string): Promise<{ namespace: string; before: Record<string, string> }> {
  const namespace = `${seed.replace(/-seed-.*$/, '')}-${uniqueId()}`;
  for (const image of IMAGES)
    await copyTags(open, `${seed}/${image}`, `${namespace}/${image}`, [`${BRANCH}-${YESTERDAY}`, BRANCH, VERSION]);
  const before = await registryState(open, reposOf(namespace));
  expect(Object.keys(before)).toHaveLength(6);
  return { namespace, before };
}

/**
 * A fault proxy in front of `upstream` that demands the canary credentials, with rules and a record
 * of requests of its own; kept in `proxies` for the file's afterAll to close.
 */
export async function canaryProxy(upstream: string, proxies: FaultProxy[]): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ upstream, auth: { username: CANARY_USER, password: CANARY_PASSWORD } });
  proxies.push(proxy);
  return proxy;
}

/** Requests for the repositories of `namespace`: each scenario has a namespace of its own. */
export const requestsOf =
  (namespace: string) =>
  (request: SeenRequest): boolean =>
    request.path.startsWith(`/v2/${namespace}/`);

/**
 * The arguments of today's publish of the release branch into `registry` (host/namespace), with a
 * report at /tmp/<runId>.json: rebuilt (--force) so the engine pushes, or with `warm`, the
 * nightly's path for an unchanged branch (dated tags added in the registry).
 */
export function todaysPublishArgs(
  repo: GitRepo,
  family: string,
  registry: string,
  options: { runId: string; retries: number; warm?: boolean | undefined },
): string[] {
  return [
    ...branchPublishArgs(repo, family, registry, TODAY),
    ...(options.warm ? [] : ['--force']),
    '--retries',
    String(options.retries),
    '--report',
    `/tmp/${options.runId}.json`,
  ];
}

/** The environment of such a publish: the stack's engine, the run's id and the canary credentials. */
export function scenarioEnv(runId: string, retryMinMs: number): Record<string, string> {
  return {
    DOCKER_HOST: stack.dockerHost,
    MESOS_PIPELINE_RUN_ID: runId,
    MESOS_PIPELINE_RETRY_MIN_MS: String(retryMinMs),
    ...canaryEnv(),
  };
}

export function readReport(file: string): RunReport {
  return JSON.parse(readFileSync(file, 'utf8')) as RunReport;
}

/**
 * The branch published completely: for every image, today's dated tag, the floating and the
 * version tag all point at one new digest, the image the run built and smoke-tested (its config
 * is the tested image ID, its revision the branch's sha); yesterday's dated tag is untouched and
 * nothing else changed.
 */
export async function expectPublished(
  namespace: string,
  before: Record<string, string>,
  report: RunReport,
  sha: string,
): Promise<void> {
  const after = await registryState(open, reposOf(namespace));
  const branch = report.branches.find((candidate) => candidate.branch === BRANCH);
  expect(branch?.status).toBe('published');
  const expected: Record<string, string> = { ...before };
  for (const image of branch?.images ?? []) {
    const repository = `${namespace}/${image.name}`;
    expect(image.status).toBe('pushed');
    expect(image.smoke?.length).toBeGreaterThan(0);
    expect(image.smoke?.every((outcome) => outcome.ok)).toBe(true);
    expect(image.digest).not.toBe(before[`${repository}:${BRANCH}`]);
    for (const tag of [`${BRANCH}-${TODAY}`, BRANCH, VERSION])
      expected[`${repository}:${tag}`] = image.digest as string;
    const manifest = await manifestOf(open, repository, BRANCH);
    expect(manifest?.config).toBe(image.imageId);
    expect(
      (await configOf(open, repository, manifest?.config as string)).config.Labels?.[
        'org.opencontainers.image.revision'
      ],
    ).toBe(sha);
  }
  expect(after).toEqual(expected);
}

/** The registry is exactly as it was before the run: same tags, same digests. */
export async function expectUntouched(namespace: string, before: Record<string, string>): Promise<void> {
  expect(await registryState(open, reposOf(namespace))).toEqual(before);
}

/** Containers of a run (by its label), running or stopped. */
export async function containersOf(runId: string): Promise<number> {
  return (await dockerOf(stack).listContainers({ all: true, filters: { label: [`io.mesos-pipeline.run=${runId}`] } }))
    .length;
}

/** Nothing a run wrote (stdout, stderr, its report) holds the canary password in any form. */
export function expectNoCanary(result: CliResult, reportFile?: string): void {
  expect(leaks(result.stdout)).toEqual([]);
  expect(leaks(result.stderr)).toEqual([]);
  if (reportFile) expect(leaks(readFileSync(reportFile))).toEqual([]);
}
