import { systemClock } from '../../pipeline/adapters/clock.js';
import type { Family } from '../../pipeline/family/family.js';
import { StreamLogger } from '../../pipeline/log.js';
import type { EligibleBranch } from '../../pipeline/plan/branches.js';
import { makePlan, type Plan, type PlannedBranch } from '../../pipeline/plan/plan.js';
import { applyFamily } from '../../pipeline/plan/plan-paths.js';
import type { Clock } from '../../pipeline/ports.js';
import type { PublishDeps, PublishOptions, RunShared } from '../../pipeline/publish/context.js';
import type { Source } from '../../pipeline/publish/push.js';
import { Redactor } from '../../pipeline/redact.js';
import type { SmokeSpec } from '../../pipeline/smoke/spec-schema.js';
import { FakeContainers, FakeHostCgroups } from './fake-containers.js';
import { FakeEngine } from './fake-engine.js';
import { MemoryRegistry } from './memory-registry.js';
import { BufferSink } from './runtime.js';

// A publish run wired to fakes of every port, for unit tests of the orchestration: an in-memory
// registry (kept honest by test/helpers/registry-contract.ts), an engine and a container runtime
// that answer at once, and a clock whose sleeps end at once.

export const HOST = 'memory.test';
export const NAMESPACE = 'ns';
export const REPO = 'https://example.test/mesos.git';

/** Two images, the second built FROM the first, like mesos-centos and mesos-mini. */
export const FAMILY: Family = {
  dir: '/fake/family',
  file: '/fake/family/images.json',
  images: [
    { name: 'base', context: '/fake/family/base', dockerfile: 'Dockerfile', smokeFile: 'smoke.json' },
    { name: 'app', base: 'base', context: '/fake/family/app', dockerfile: 'Dockerfile', smokeFile: 'smoke.json' },
  ],
};

/** The same family, each image for linux/amd64 and linux/arm64 (published as image indexes). */
export const MULTI_PLATFORM_FAMILY: Family = {
  ...FAMILY,
  images: FAMILY.images.map((image) => ({ ...image, platforms: ['linux/amd64', 'linux/arm64'] })),
};

/** Checks what the build put into the image: its revision label is the planned commit. */
export const REVISION_SPEC: SmokeSpec = {
  commandTests: [
    {
      name: 'built from the planned commit',
      command: ['label', 'org.opencontainers.image.revision'],
      expectedOutput: ['^${GIT_SHA}$'],
    },
  ],
};

export const sha = (n: number): string => String(n).repeat(40).slice(0, 40);

/** A plan as publish gets it: made, then its folders resolved into the family (as on a runner). */
export function planOf(branches: EligibleBranch[], date = '2026-11-27', family: Family = FAMILY): Plan {
  const made = makePlan({
    date,
    imagesDir: '.',
    createdAt: `${date}T02:00:00.000Z`,
    repo: REPO,
    registry: { host: HOST, namespace: NAMESPACE },
    family,
    branches,
  });
  return applyFamily(made, family);
}

/** The clock of a fake run: real instants, sleeps that end at once (or when the signal aborts). */
export const instantClock: Clock = {
  now: () => new Date(),
  sleep: (_ms, signal) => (signal?.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve()),
  // Timeouts and deadlines keep real time: only waiting is instant.
  after: (ms, fire) => systemClock.after(ms, fire),
};

export interface FakeRun {
  registry: MemoryRegistry;
  engine: FakeEngine;
  containers: FakeContainers;
  controller: AbortController;
  stderr: BufferSink;
  deps: PublishDeps;
  shared: RunShared;
  /** Context digests by image name: change one to change that image's inputs. */
  contexts: Map<string, string>;
}

export function fakeRun(
  options: {
    deleteEnabled?: boolean;
    specs?: Record<string, SmokeSpec>;
    registry?: MemoryRegistry;
    /** The logger as with `-v`: engine output and debug lines shown. */
    verbose?: boolean;
  } = {},
): FakeRun {
  const controller = new AbortController();
  const registry =
    options.registry ??
    new MemoryRegistry({ host: HOST, deleteEnabled: options.deleteEnabled ?? true, signal: controller.signal });
  const engine = new FakeEngine(registry);
  const containers = new FakeContainers(engine);
  const stderr = new BufferSink();
  const contexts = new Map(FAMILY.images.map((image) => [image.name, `sha256:context-of-${image.name}`]));
  const specs = options.specs ?? { base: REVISION_SPEC, app: REVISION_SPEC };
  return {
    registry,
    engine,
    containers,
    controller,
    stderr,
    contexts,
    deps: {
      engine,
      containers,
      cgroups: new FakeHostCgroups(containers),
      registry,
      credentials: undefined,
      clock: instantClock,
      log: new StreamLogger({ sink: stderr, redactor: new Redactor(), verbose: options.verbose ?? false }),
      signal: controller.signal,
      retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 },
    },
    shared: {
      smokeSpecs: new Map(Object.entries(specs)),
      contextDigest: (image) => Promise.resolve(contexts.get(image) ?? 'sha256:none'),
    },
  };
}

export const PUSH: PublishOptions = {
  push: true,
  keep: false,
  force: false,
  concurrency: 2,
  rebuildAfterMs: 7 * 86_400_000,
};

/** Built and "tested" images of `branch` in the fake engine, as pushBranch finds them. */
export async function builtSources(run: FakeRun, branch: PlannedBranch): Promise<Map<string, Source>> {
  const sources = new Map<string, Source>();
  let base = '';
  for (const image of branch.images) {
    const imageId = await run.engine.build(
      {
        context: image.context,
        buildArgs: { ...image.buildArgs, ...(base ? { BASE_IMAGE: base } : {}) },
        labels: image.labels,
      },
      () => undefined,
    );
    base = imageId;
    sources.set(image.name, { kind: 'built', image: { name: image.name, imageId, inputs: 'sha256:in' } });
  }
  return sources;
}

/**
 * Each image of `branch` built for each platform, the child on its base of that platform, as
 * branch-build does: multi-platform sources as pushBranch finds them.
 */
export async function builtPlatforms(
  run: FakeRun,
  branch: PlannedBranch,
  platforms: readonly string[] = ['linux/amd64', 'linux/arm64'],
): Promise<Map<string, Source>> {
  const sources = new Map<string, Source>();
  const bases = new Map<string, string>();
  for (const image of branch.images) {
    const built = [];
    for (const platform of platforms) {
      const base = bases.get(platform);
      const imageId = await run.engine.build(
        {
          context: image.context,
          buildArgs: { ...image.buildArgs, ...(base ? { BASE_IMAGE: base } : {}) },
          labels: image.labels,
          platform,
        },
        () => undefined,
      );
      bases.set(platform, imageId);
      built.push({ platform, imageId, inputs: `sha256:in-${platform}`, buildMs: 1 });
    }
    sources.set(image.name, {
      kind: 'built',
      image: { name: image.name, imageId: built[0]?.imageId ?? '', inputs: 'sha256:in', platforms: built },
    });
  }
  return sources;
}

/** A registry refusal with its HTTP status, as a registry client raises it. */
export const registryFailure = (status: number): Error =>
  Object.assign(new Error(`${status} from the registry`), { status });

/**
 * Makes the run client's manifest PUT of `reference` fail with `error` (only in `repository`, when
 * given): a registry refusing or losing one tag write.
 */
export function failRunPut(run: FakeRun, reference: string, error: Error, repository?: string): void {
  run.registry.intercept = (call) => {
    if (
      call.op === 'putManifest' &&
      call.client === 'run' &&
      call.reference === reference &&
      (repository === undefined || call.repository === repository)
    )
      throw error;
  };
}
