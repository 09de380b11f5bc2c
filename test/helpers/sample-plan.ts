import type { Family } from '../../pipeline/family/family.js';
import { makePlan, type Plan } from '../../pipeline/plan/plan.js';

export const SAMPLE_SHA_1 = '1'.repeat(40);
export const SAMPLE_SHA_2 = '2'.repeat(40);

/** The plan of the fixture family for 1.11.x (release 1.11.0) and master on 2026-11-27, into 127.0.0.1:5000/mesos. */
export function samplePlan(family: Family): Plan {
  return makePlan({
    date: '2026-11-27',
    createdAt: '2026-11-27T23:59:00.000Z',
    repo: 'https://github.com/apache/mesos.git',
    registry: { host: '127.0.0.1:5000', namespace: 'mesos' },
    family,
    imagesDir: 'test/fixtures/family',
    branches: [
      { branch: '1.11.x', sha: SAMPLE_SHA_1, releaseTag: '1.11.0' },
      { branch: 'master', sha: SAMPLE_SHA_2 },
    ],
  });
}
