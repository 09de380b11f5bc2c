import type { BranchReport, ImageReport, RunReport } from '../../pipeline/publish/report.js';

const REGISTRY = 'registry.example:5000/mesos';

export function digestOf(seed: string): string {
  return `sha256:${Buffer.from(seed).toString('hex').padEnd(64, '0').slice(0, 64)}`;
}

export function shaOf(branch: string): string {
  return Buffer.from(branch).toString('hex').padEnd(40, 'a').slice(0, 40);
}

/** One image entry as publish reports it for `status`. */
export function imageReport(name: string, branch: string, date: string, status: BranchReport['status']): ImageReport {
  const tags = [`${REGISTRY}/${name}:${branch}-${date}`, `${REGISTRY}/${name}:${branch}`];
  if (status === 'published')
    return {
      name,
      status: 'pushed',
      digest: digestOf(`${name}${branch}`),
      tags,
      durations: { buildMs: 65_000, smokeMs: 4200, pushMs: 1500 },
    };
  if (status === 'unchanged')
    return {
      name,
      status: 'unchanged',
      digest: digestOf(`${name}${branch}`),
      reusedDigest: digestOf(`${name}${branch}`),
      reason: 'revision and inputs unchanged',
      tags,
      durations: { pushMs: 300 },
    };
  if (status === 'tested')
    return {
      name,
      status: 'tested',
      imageId: digestOf(`id${name}`),
      tags: [],
      durations: { buildMs: 1000, smokeMs: 1000 },
    };
  return { name, status: name === 'fixture-app' ? 'failed' : 'tested', tags: [], durations: { buildMs: 1000 } };
}

export function branchReport(
  branch: string,
  status: BranchReport['status'],
  date = '2026-11-27',
  extra: Partial<BranchReport> = {},
): BranchReport {
  const failing = status === 'failed' || status === 'interrupted';
  return {
    branch,
    sha: shaOf(branch),
    version: branch,
    status,
    durationMs: 125_000,
    images: ['fixture-base', 'fixture-app'].map((name) => imageReport(name, branch, date, status)),
    ...(status === 'failed'
      ? {
          failure: {
            step: 'smoke',
            image: 'fixture-app',
            message: 'smoke test "version" failed: expected fixture 1.12',
            tests: ['version'],
            logTail: ['starting', 'boom: exit 3'],
          },
        }
      : failing
        ? { failure: { step: 'interrupted', message: 'interrupted by SIGTERM' } }
        : {}),
    ...extra,
  };
}

export function runReport(branches: BranchReport[], extra: Partial<RunReport> = {}): RunReport {
  return {
    version: 1,
    command: 'publish',
    runId: 'run-1',
    date: '2026-11-27',
    registry: REGISTRY,
    repo: 'https://github.com/apache/mesos.git',
    startedAt: '2026-11-27T03:20:00.000Z',
    finishedAt: '2026-11-27T03:40:00.000Z',
    durationMs: 1_200_000,
    status: branches.some((b) => b.status === 'failed') ? 'failed' : 'success',
    options: { push: true, force: false, keep: false },
    branches,
    ...extra,
  };
}
