import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../helpers/cli.js';
import { GitRepo } from '../helpers/git-repo.js';
import { multiPlatformFamily } from '../helpers/multi-platform-family.js';
import { listTags } from '../helpers/registry.js';
import { readStack, uniqueId } from '../helpers/stack.js';
import type { RunReport } from '../../pipeline/publish/report.js';

// The nightly's split flow against the real engine and registry: one `publish --stage` run per
// platform (arm64 under emulation here; a native arm64 runner in the nightly), then one
// `publish --assemble`. The same outcomes as the single run (multi-platform.itg.test.ts): an index
// with both platforms, every tag on it, no per-platform tag left, and nothing moved when a platform fails.
const stack = readStack();
const DAY = '2026-11-30';
const INDEX_TYPES = [
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
];

const repo = new GitRepo();
repo.commit('1.11.x');
afterAll(() => repo.remove());

const env = (runId: string): Record<string, string> => ({
  DOCKER_HOST: stack.dockerHost,
  MESOS_PIPELINE_RETRY_MIN_MS: '50',
  MESOS_PIPELINE_RUN_ID: runId,
});

async function makePlan(family: string, namespace: string): Promise<string> {
  const made = await runBuiltCli([
    'plan',
    '--json',
    '--repo',
    repo.dir,
    '--images',
    family,
    '--registry',
    `${stack.registry}/${namespace}`,
    '--date',
    DAY,
    '--branch',
    '1.11.x',
  ]);
  expect(made.code).toBe(0);
  const file = `/tmp/${namespace}-plan.json`;
  writeFileSync(file, made.stdout);
  return file;
}

const stageArgs = (plan: string, family: string, platform: string, report: string): string[] => [
  'publish',
  '--plan',
  plan,
  '--images',
  family,
  '--branch',
  '1.11.x',
  '--platform',
  platform,
  '--stage',
  '--report',
  report,
];

async function manifest(
  repository: string,
  reference: string,
): Promise<{ type: string; digest: string; body: unknown }> {
  const response = await fetch(`http://${stack.registry}/v2/${repository}/manifests/${reference}`, {
    headers: {
      Accept: [
        ...INDEX_TYPES,
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.oci.image.manifest.v1+json',
      ].join(', '),
    },
  });
  expect(response.status).toBe(200);
  return {
    type: (response.headers.get('content-type') ?? '').split(';')[0] ?? '',
    digest: response.headers.get('docker-content-digest') ?? '',
    body: await response.json(),
  };
}

describe('publish --stage per platform, then --assemble (the nightly on native runners)', () => {
  it('stages each platform under run-scoped tags, then assembles one index on every tag, removing them', async () => {
    const namespace = `split-${uniqueId()}`;
    const family = multiPlatformFamily((spec) => {
      (spec.commandTests as unknown[]).push({
        name: 'runs on a known architecture',
        command: ['uname', '-m'],
        expectedOutput: ['^(x86_64|aarch64)$'],
      });
    });
    const plan = await makePlan(family, namespace);
    const reports = { amd: `/tmp/${namespace}-amd64.json`, arm: `/tmp/${namespace}-arm64.json` };
    // At once, as the nightly's stage jobs run on their own runners: staging tags are scoped by run.
    const [amd, arm] = await Promise.all([
      runBuiltCli(stageArgs(plan, family, 'linux/amd64', reports.amd), env(`${namespace}-amd64`)),
      runBuiltCli(stageArgs(plan, family, 'linux/arm64', reports.arm), env(`${namespace}-arm64`)),
    ]);
    expect(amd.code, amd.stderr).toBe(0);
    expect(amd.stderr).not.toMatch(/building for linux\/arm64/);
    expect(arm.code, arm.stderr).toBe(0);
    expect(arm.stderr).toMatch(/building for linux\/arm64/);
    expect(arm.stderr).not.toMatch(/building for linux\/amd64/);

    // After the stage jobs nothing users pull exists: only the staging tags.
    // Named by the UTC day they were pushed, for prune to find what a killed run leaves.
    const day = new Date().toISOString().slice(0, 10);
    for (const image of ['fixture-base', 'fixture-app'])
      expect(await listTags({ host: stack.registry }, `${namespace}/${image}`)).toEqual([
        `stage-${day}-${namespace}-amd64-1.11.x-amd64`,
        `stage-${day}-${namespace}-arm64-1.11.x-arm64`,
      ]);

    // The assemble plan is pure JSON, printed by --dry-run, and touches nothing.
    const dry = await runBuiltCli(
      ['publish', '--plan', plan, '--images', family, '--assemble', reports.amd, reports.arm, '--dry-run'],
      env(`${namespace}-dry`),
    );
    expect(dry.code).toBe(0);
    const assemblePlan = JSON.parse(dry.stdout) as { branches: { staging: string[]; images: unknown[] }[] };
    expect(assemblePlan.branches[0]?.staging).toHaveLength(4);
    expect(await listTags({ host: stack.registry }, `${namespace}/fixture-app`)).toHaveLength(2);

    const report = `/tmp/${namespace}.json`;
    const assembled = await runBuiltCli(
      ['publish', '--plan', plan, '--images', family, '--assemble', reports.amd, reports.arm, '--report', report],
      env(`${namespace}-assemble`),
    );
    expect(assembled.stderr).toContain('[1.11.x] published');
    expect(assembled.code).toBe(0);
    expect(assembled.stderr).not.toMatch(/building|pushed linux\//);

    const staged = [reports.amd, reports.arm].map((file) => JSON.parse(readFileSync(file, 'utf8')) as RunReport);
    const written = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
    for (const [at, image] of ['fixture-base', 'fixture-app'].entries()) {
      const repository = `${namespace}/${image}`;
      // Only the planned tags: the staging tags are gone.
      expect(await listTags({ host: stack.registry }, repository)).toEqual(['1.11.x', `1.11.x-${DAY}`]);
      const floating = await manifest(repository, '1.11.x');
      const dated = await manifest(repository, `1.11.x-${DAY}`);
      expect(INDEX_TYPES).toContain(floating.type);
      expect(dated.digest).toBe(floating.digest);
      expect(written.branches[0]?.images[at]?.digest).toBe(floating.digest);
      // The index names exactly the manifests the stage jobs pushed, amd64 then arm64.
      const entries = (floating.body as { manifests: { digest: string; platform: { architecture: string } }[] })
        .manifests;
      expect(entries.map((entry) => [entry.platform.architecture, entry.digest])).toEqual([
        ['amd64', staged[0]?.branches[0]?.images[at]?.digest],
        ['arm64', staged[1]?.branches[0]?.images[at]?.digest],
      ]);
      for (const entry of entries) expect((await manifest(repository, entry.digest)).digest).toBe(entry.digest);
    }
    expect(written.branches[0]?.images[1]?.platforms?.map((p) => [p.platform, p.passed])).toEqual([
      ['linux/amd64', true],
      ['linux/arm64', true],
    ]);
  });

  // A smoke test failing only on arm64 in a stage job: test/pipeline/publish/split-flow.test.ts (the assemble
  // moves no tag, puts no index, removes staging tags); in a single run: multi-platform.itg.test.ts.
});
