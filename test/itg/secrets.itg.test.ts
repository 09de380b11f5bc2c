import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY_PASSWORD, CANARY_USER, canaryEnv, leaks, secretForms } from '../helpers/canary.js';
import { killLeftoverClis, runBuiltCli, type CliResult } from '../helpers/cli.js';
import { copyFamily } from '../helpers/family-copy.js';
import { EngineTap, type EngineRequest } from '../helpers/engine-tap.js';
import { FaultProxy, isManifestPut } from '../helpers/fault-proxy.js';
import { GitRepo } from '../helpers/git-repo.js';
import { blobOf, listTags, manifestOf } from '../helpers/registry.js';
import { BRANCH, open, releaseBranch, stack, TODAY } from '../helpers/scenario.js';
import { uniqueId } from '../helpers/stack.js';

// The canary password (and a canary GitHub token) in the environment of a publish, in a stray .env
// and in a .git folder of a build context: it must reach nothing but the engine's push requests
// and the registry's authentication, and never any output, report, label, build arg, build context
// or image layer.

const GITHUB_CANARY = 'ghs_CanaryToken0123456789abcdefNEVER';
const forms = [...secretForms(CANARY_PASSWORD, CANARY_USER), ...secretForms(GITHUB_CANARY)];
const found = (content: string | Buffer): string[] => leaks(content, forms);

const repo = new GitRepo();
releaseBranch(repo);
let proxy: FaultProxy;
const taps: EngineTap[] = [];

beforeAll(async () => {
  proxy = await FaultProxy.start({
    upstream: stack.registry,
    auth: { username: CANARY_USER, password: CANARY_PASSWORD },
  });
});
afterAll(async () => {
  killLeftoverClis();
  await proxy.close();
  await Promise.all(taps.map((tap) => tap.close()));
  repo.remove();
});

/** A tap of a test's own on the engine: the tests run at once, each judges only its run's requests. */
async function engineTap(): Promise<EngineTap> {
  const tap = await EngineTap.start(stack.socketPath);
  taps.push(tap);
  return tap;
}

/** The fixture family, with secrets lying around in the base image's context. */
function familyWithStraySecrets(): string {
  const family = copyFamily();
  const context = path.join(family, 'fixture-base');
  mkdirSync(path.join(context, '.git'));
  writeFileSync(
    path.join(context, '.git/config'),
    `[remote "origin"]\n\turl = https://${CANARY_USER}:${CANARY_PASSWORD}@example.invalid/mesos.git\n`,
  );
  writeFileSync(path.join(context, '.git/HEAD'), 'ref: refs/heads/master\n');
  writeFileSync(path.join(context, '.env'), `REGISTRY_PASSWORD=${CANARY_PASSWORD}\nGITHUB_TOKEN=${GITHUB_CANARY}\n`);
  mkdirSync(path.join(context, 'notes'));
  writeFileSync(path.join(context, 'notes/readme.txt'), 'kept\n');
  writeFileSync(path.join(context, 'notes/draft.tmp'), `${CANARY_PASSWORD}\n`);
  writeFileSync(path.join(context, '.dockerignore'), '.git\n.env\nnotes/*.tmp\n');
  return family;
}

async function publish(
  tap: EngineTap,
  namespace: string,
  family: string,
  reportFile: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<CliResult> {
  return runBuiltCli(
    [
      'publish',
      '--verbose',
      '--json',
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
      '--report',
      reportFile,
      ...extra,
    ],
    {
      DOCKER_HOST: tap.dockerHost,
      MESOS_PIPELINE_RUN_ID: `run-${uniqueId()}`,
      MESOS_PIPELINE_RETRY_MIN_MS: '100',
      GITHUB_TOKEN: GITHUB_CANARY,
      ...canaryEnv(),
      ...env,
    },
  );
}

async function tarEntries(tar: Buffer): Promise<Map<string, Buffer>> {
  const entries = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    const reader = extract();
    reader.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') entries.set(header.name, Buffer.concat(chunks));
        next();
      });
    });
    reader.on('finish', resolve);
    reader.on('error', reject);
    reader.end(tar);
  });
  return entries;
}

const query = (request: EngineRequest): URLSearchParams => new URL(request.target, 'http://engine').searchParams;
const isBuild = (request: EngineRequest): boolean =>
  request.method === 'POST' && /^(\/v[\d.]+)?\/build\?/.test(request.target);
/** The requests that must carry registry credentials: the engine pushes and pulls for us. */
const needsCredentials = (request: EngineRequest): boolean =>
  request.method === 'POST' && /^(\/v[\d.]+)?\/images\/(.+\/push|create)\?/.test(request.target);

/** Everything a request carries, in the forms a secret could hide in. */
function everythingIn(request: EngineRequest): string {
  const decodedHeaders = Object.values(request.headers).map((value) => Buffer.from(value, 'base64').toString('latin1'));
  return [
    request.method,
    request.target,
    decodeURIComponent(request.target),
    ...Object.values(request.headers),
    ...decodedHeaders,
    request.body.toString('latin1'),
  ].join('\n');
}

// Namespaces, engine taps and proxy rules (matched by namespace) of their own: the tests run at once.
describe.concurrent('secrets', () => {
  it('never leave the push requests: not in output, report, build args, build context, labels or layers', async () => {
    const namespace = `secrets-${uniqueId()}`;
    const reportFile = `/tmp/${namespace}.json`;
    const summaryFile = `/tmp/${namespace}-summary.md`;
    const tap = await engineTap();
    const result = await publish(tap, namespace, familyWithStraySecrets(), reportFile, ['--summary'], {
      GITHUB_STEP_SUMMARY: summaryFile,
    });
    expect(result.code, result.stderr).toBe(0);

    // Outputs.
    expect(found(result.stdout)).toEqual([]);
    expect(found(result.stderr)).toEqual([]);
    expect(found(readFileSync(reportFile))).toEqual([]);
    expect(readFileSync(summaryFile, 'utf8')).toContain(BRANCH);
    expect(found(readFileSync(summaryFile))).toEqual([]);

    // What went to the engine: the credentials only with pushes, and there they did go.
    const requests = tap.requests();
    const pushes = requests.filter(needsCredentials);
    expect(pushes.length).toBeGreaterThanOrEqual(2);
    for (const push of pushes)
      expect(found(Buffer.from(push.headers['x-registry-auth'] ?? '', 'base64'))).not.toEqual([]);
    for (const request of requests.filter((candidate) => !needsCredentials(candidate)))
      expect(found(everythingIn(request)), `${request.method} ${request.target}`).toEqual([]);

    // The builds: only the plan's build args, and exactly the context .dockerignore allows.
    const builds = requests.filter(isBuild);
    expect(builds).toHaveLength(2);
    for (const build of builds) {
      const args = Object.keys(JSON.parse(query(build).get('buildargs') ?? '{}') as Record<string, string>).sort();
      expect(args).toEqual(expect.arrayContaining(['GIT_BRANCH', 'GIT_REPO', 'GIT_SHA', 'VERSION']));
      expect(args.every((name) => ['BASE_IMAGE', 'GIT_BRANCH', 'GIT_REPO', 'GIT_SHA', 'VERSION'].includes(name))).toBe(
        true,
      );
      expect(build.headers['x-registry-config']).toBeUndefined();
    }
    const contexts = await Promise.all(builds.map((build) => tarEntries(build.body)));
    const baseIndex = contexts.findIndex((entries) => entries.has('fixture-version'));
    const baseBuild = builds[baseIndex] as EngineRequest;
    const sent = contexts[baseIndex] as Map<string, Buffer>;
    // The context's own files as .dockerignore allows, plus the Dockerfile with the run's labels.
    expect([...sent.keys()].sort()).toEqual([
      '.dockerignore',
      '.mesos-pipeline.Dockerfile',
      'Dockerfile',
      'fixture-version',
      'notes/readme.txt',
      'smoke.json',
    ]);
    expect(sent.get('.mesos-pipeline.Dockerfile')?.toString()).toContain(
      '"org.opencontainers.image.title"="fixture-base"',
    );
    expect(found(baseBuild.body)).toEqual([]);

    // What the run pushed: manifests, configs (labels, env, history with the build args) and layers.
    for (const image of ['fixture-base', 'fixture-app']) {
      const repository = `${namespace}/${image}`;
      expect(await listTags(open, repository)).toEqual([`${BRANCH}`, `${BRANCH}-${TODAY}`, '1.7.0'].sort());
      const manifest = await manifestOf(open, repository, BRANCH);
      expect(found(manifest?.bytes ?? '')).toEqual([]);
      const config = await blobOf(open, repository, manifest?.config as string);
      expect(config.toString()).toContain('org.opencontainers.image.revision');
      expect(found(config)).toEqual([]);
      for (const layer of manifest?.layers ?? [])
        expect(found(gunzipSync(await blobOf(open, repository, layer))), `${image} layer ${layer}`).toEqual([]);
    }
  });

  it('never show in the messages of a failing run, its rollback included', async () => {
    const namespace = `secrets-fail-${uniqueId()}`;
    const reportFile = `/tmp/${namespace}.json`;
    proxy.setRules([
      {
        name: '503',
        match: (r) => r.path.startsWith(`/v2/${namespace}/`) && isManifestPut({ tag: BRANCH, name: 'fixture-app' })(r),
        fault: { kind: 'status', status: 503 },
      },
    ]);
    const result = await publish(await engineTap(), namespace, familyWithStraySecrets(), reportFile, [
      '--retries',
      '1',
    ]);
    proxy.setRules([]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/FAILED at retag \(fixture-app\)/);
    expect(result.stderr).toMatch(/undoing what this run wrote to the tags of 1\.7\.x/);
    expect(found(result.stdout)).toEqual([]);
    expect(found(result.stderr)).toEqual([]);
    expect(found(readFileSync(reportFile))).toEqual([]);
  });
});
