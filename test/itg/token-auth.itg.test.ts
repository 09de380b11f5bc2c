import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../pipeline/adapters/clock.js';
import { RegistryHttp } from '../../pipeline/adapters/registry-http.js';
import { StreamLogger } from '../../pipeline/log.js';
import { Redactor } from '../../pipeline/redact.js';
import { killLeftoverClis, runBuiltCli } from '../helpers/cli.js';
import { FaultProxy, isManifestPut } from '../helpers/fault-proxy.js';
import { GitRepo } from '../helpers/git-repo.js';
import { registryState, type RegistryAccess } from '../helpers/registry.js';
import { quickFamily } from '../helpers/quick-family.js';
import { BufferSink } from '../helpers/runtime.js';
import { BRANCH, IMAGES, readReport, releaseBranch, stack, TODAY, VERSION, YESTERDAY } from '../helpers/scenario.js';
import { uniqueId } from '../helpers/stack.js';
import { startTokenRegistry, type TokenRegistry } from '../helpers/token-registry.js';

// Registries as they really are: Basic auth answered by several branches at once, and Docker
// Hub's token flow (a real docker-registry verifying RS256 tokens from our token service) with
// tokens that die while a branch builds. Short-lived tokens come from private token registries
// (test/helpers/token-registry.ts), so the shared one keeps its 300 s.

const LIFETIME = 5;
// Several token lifetimes: the fixture base sleeps this long while it builds.
const BUILD_SECONDS = 18;

// Auth is the subject here, not the smoke run: smoke specs that start no container (about 9 s a
// branch less), the same builds, pushes and tag writes.
const family = quickFamily();
const repo = new GitRepo();
repo.commit('1.10.x');
repo.commit('master');
releaseBranch(repo);
const registries: TokenRegistry[] = [];
afterAll(async () => {
  killLeftoverClis();
  await Promise.all(registries.map((registry) => registry.stop()));
  repo.remove();
});

async function tokenRegistry(lifetimeSeconds: number): Promise<TokenRegistry> {
  const registry = await startTokenRegistry({ lifetimeSeconds });
  registries.push(registry);
  return registry;
}

function accessOf(registry: TokenRegistry): RegistryAccess {
  return { host: registry.host, username: registry.username, password: registry.password };
}

function env(credentials: { username: string; password: string }, extra: Record<string, string> = {}) {
  return {
    DOCKER_HOST: stack.dockerHost,
    MESOS_PIPELINE_RETRY_MIN_MS: '50',
    REGISTRY_USERNAME: credentials.username,
    REGISTRY_PASSWORD: credentials.password,
    ...extra,
  };
}

/** The quick fixture family, with a base image whose build takes `seconds` (and is never cached). */
function slowFamily(seconds: number): string {
  return quickFamily({
    'fixture-base/Dockerfile': (text) =>
      text.replace(
        'COPY fixture-version',
        `RUN echo "slow build ${uniqueId()}" && sleep ${seconds}\nCOPY fixture-version`,
      ),
  });
}

async function publish(family: string, registry: string, args: string[], environment: Record<string, string>) {
  const runId = `run-${uniqueId()}`;
  const reportFile = `/tmp/${runId}.json`;
  const result = await runBuiltCli(
    ['publish', '--repo', repo.dir, '--images', family, '--registry', registry, '--report', reportFile, ...args],
    { ...environment, MESOS_PIPELINE_RUN_ID: runId },
  );
  return { result, report: readReport(reportFile) };
}

// Every test has registries or namespaces of its own, and most of their time is waiting (token
// lifetimes, a build that sleeps): they run at once.
describe.concurrent('the token service and the token registry', () => {
  let registry: TokenRegistry;
  beforeAll(async () => {
    registry = await tokenRegistry(3);
  });

  async function token(password: string): Promise<Response> {
    const url = `${registry.realm}?service=test-token-registry&scope=repository:ns/app:pull`;
    return fetch(url, {
      headers: { Authorization: `Basic ${Buffer.from(`${registry.username}:${password}`).toString('base64')}` },
    });
  }

  it('issues a token the real registry accepts for exactly its lifetime, and none for a wrong password', async () => {
    const refused = await token('wrong-password');
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain('token');

    const issued = Date.now();
    const answer = (await (await token(registry.password)).json()) as { token: string; expires_in: number };
    expect(answer.expires_in).toBe(3);
    const list = async (): Promise<number> => {
      const response = await fetch(`http://${registry.host}/v2/ns/app/tags/list`, {
        headers: { Authorization: `Bearer ${answer.token}` },
      });
      await response.body?.cancel();
      return response.status;
    };
    // Accepted (the repository does not exist yet), then refused once its life is over.
    expect(await list()).toBe(404);
    await new Promise((resolve) => setTimeout(resolve, issued + 4000 - Date.now()));
    expect(await list()).toBe(401);
    // The registry's log reaches its file through this process's pipe: under load, a moment later.
    await vi.waitFor(() => expect(readFileSync(registry.registryLog, 'utf8')).toContain('token not to be used after'), {
      timeout: 5000,
      interval: 100,
    });

    // The OAuth2 password grant (POST), which some clients use instead of GET; no refresh tokens.
    const form = (grant: string): RequestInit => ({
      method: 'POST',
      body: new URLSearchParams({
        grant_type: grant,
        username: registry.username,
        password: registry.password,
        service: 'test-token-registry',
        scope: 'repository:ns/app:pull',
        client_id: 'test',
      }),
    });
    const posted = (await (await fetch(registry.realm, form('password'))).json()) as { access_token: string };
    const viaPost = await fetch(`http://${registry.host}/v2/ns/app/tags/list`, {
      headers: { Authorization: `Bearer ${posted.access_token}` },
    });
    await viaPost.body?.cancel();
    expect(viaPost.status).toBe(404);
    expect((await fetch(registry.realm, form('refresh_token'))).status).toBe(400);
    const log = readFileSync(registry.tokenLog, 'utf8');
    expect(log).not.toContain(registry.password);
    expect(log).not.toContain('wrong-password');
    expect(log).not.toContain(answer.token);
  });

  it('serves the pipeline’s registry client across token lifetimes without sending a dead token', async () => {
    const fresh = await tokenRegistry(3);
    const client = new RegistryHttp({
      host: fresh.host,
      credentials: { username: fresh.username, password: fresh.password },
      retry: {
        policy: { retries: 0, minDelayMs: 1, maxDelayMs: 1 },
        clock: systemClock,
        log: new StreamLogger({ sink: new BufferSink(), redactor: new Redactor() }),
      },
    });
    for (let round = 0; round < 3; round += 1) {
      expect(await client.listTags('ns/app')).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 2500));
    }
    expect(fresh.tokenRequests().length).toBeGreaterThanOrEqual(3);
    expect(readFileSync(fresh.registryLog, 'utf8')).not.toContain('token not to be used after');
  });
});

describe.concurrent('publish to registries with auth', () => {
  it.each([
    ['Basic (htpasswd)', () => stack.authRegistry],
    ['token', () => stack.tokenRegistry],
  ])('publishes three branches at the default concurrency cleanly to the %s registry', async (_name, host) => {
    const namespace = `three-${uniqueId()}`;
    const credentials = { username: stack.username, password: stack.password };
    const { result, report } = await publish(
      family,
      `${host()}/${namespace}`,
      ['--date', TODAY, '--branch', '1.7.x', '--branch', '1.10.x', '--branch', 'master'],
      env(credentials),
    );
    expect(result.stderr).not.toMatch(/refused|401 Unauthorized|error:/);
    expect(result.code).toBe(0);
    expect(report.branches.map((branch) => [branch.branch, branch.status])).toEqual([
      ['1.7.x', 'published'],
      ['1.10.x', 'published'],
      ['master', 'published'],
    ]);
    const state = await registryState(
      { host: host(), ...credentials },
      IMAGES.map((image) => `${namespace}/${image}`),
    );
    // master also moves latest (docker run mesos/mesos-mini pulls it).
    const tags = [
      '1.7.x',
      `1.7.x-${TODAY}`,
      VERSION,
      '1.10.x',
      `1.10.x-${TODAY}`,
      'master',
      `master-${TODAY}`,
      'latest',
    ];
    expect(Object.keys(state).sort()).toEqual(
      IMAGES.flatMap((image) => tags.map((tag) => `${namespace}/${image}:${tag}`)).sort(),
    );
  });

  it(`publishes a branch whose build outlasts several ${LIFETIME} s token lifetimes`, async () => {
    const registry = await tokenRegistry(LIFETIME);
    const namespace = `slow-${uniqueId()}`;
    const started = Date.now();
    const { result, report } = await publish(
      slowFamily(BUILD_SECONDS),
      `${registry.host}/${namespace}`,
      ['--date', TODAY, '--branch', BRANCH],
      env(registry),
    );
    expect(result.stderr).not.toMatch(/refused|401 Unauthorized|error:/);
    expect(result.code).toBe(0);
    expect(report.branches[0]?.status).toBe('published');
    expect(Date.now() - started).toBeGreaterThan(3 * LIFETIME * 1000);
    const state = await registryState(
      accessOf(registry),
      IMAGES.map((image) => `${namespace}/${image}`),
    );
    expect(Object.keys(state)).toHaveLength(6);
    // The pipeline's own client asked for tokens before the build and again after it; nobody
    // (neither the pipeline nor the engine) ever showed the registry a dead one.
    const pipelineTokens = registry.tokenRequests().filter((request) => request.agent === 'node');
    expect(pipelineTokens.length).toBeGreaterThan(1);
    const times = pipelineTokens.map((request) => Date.parse(request.time));
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(BUILD_SECONDS * 1000);
    expect(registry.tokenRequests().some((request) => /docker/i.test(request.agent ?? ''))).toBe(true);
    expect(readFileSync(registry.registryLog, 'utf8')).not.toContain('token not to be used after');
  });

  it('rolls a failure after such a build back cleanly: yesterday’s tags restored, today’s gone', async () => {
    const registry = await tokenRegistry(LIFETIME);
    const proxy = await FaultProxy.start({ upstream: registry.host });
    try {
      const namespace = `slowfail-${uniqueId()}`;
      const seeded = await publish(
        family,
        `${registry.host}/${namespace}`,
        ['--date', YESTERDAY, '--branch', BRANCH],
        env(registry),
      );
      expect(seeded.result.code).toBe(0);
      const repositories = IMAGES.map((image) => `${namespace}/${image}`);
      const before = await registryState(accessOf(registry), repositories);
      expect(Object.keys(before)).toHaveLength(6);

      // The base's floating and version tags move; the app's floating tag is then refused.
      proxy.setRules([
        {
          name: 'app floating tag',
          match: isManifestPut({ name: 'fixture-app', tag: BRANCH }),
          fault: { kind: 'status', status: 400, code: 'MANIFEST_INVALID' },
        },
      ]);
      const { result, report } = await publish(
        slowFamily(BUILD_SECONDS),
        `${proxy.host}/${namespace}`,
        ['--date', TODAY, '--branch', BRANCH],
        env(registry),
      );
      expect(result.code).toBe(1);
      expect(proxy.faulted('app floating tag')).toHaveLength(1);
      const branch = report.branches[0];
      expect(branch?.failure).toMatchObject({ step: 'retag', image: 'fixture-app' });
      // Nothing of this run is left: yesterday's floating and version tags are back, today's gone.
      expect(await registryState(accessOf(registry), repositories)).toEqual(before);
      expect(readFileSync(registry.registryLog, 'utf8')).not.toContain('token not to be used after');
    } finally {
      await proxy.close();
    }
  });
});
