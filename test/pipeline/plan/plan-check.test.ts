import { describe, expect, it } from 'vitest';
import { loadFamily } from '../../../pipeline/family/family.js';
import type { Plan } from '../../../pipeline/plan/plan.js';
import { planProblems } from '../../../pipeline/plan/plan-check.js';
import { fixtureFamily } from '../../helpers/paths.js';
import { SAMPLE_SHA_1, SAMPLE_SHA_2, samplePlan } from '../../helpers/sample-plan.js';

const sha1 = SAMPLE_SHA_1;
const sha2 = SAMPLE_SHA_2;
const reg = '127.0.0.1:5000/mesos';

describe('planProblems (mutation testing of pipeline/plan/plan-check.ts)', async () => {
  const family = await loadFamily(fixtureFamily);
  const plan = samplePlan(family);
  /** A copy of the plan with `edit` applied. */
  const tampered = (edit: (copy: Plan) => void): Plan => {
    const copy = structuredClone(plan);
    edit(copy);
    return copy;
  };

  it('finds nothing wrong with a plan as makePlan writes it', () => {
    expect(planProblems(plan)).toEqual([]);
  });

  it.each<[string, (copy: Plan) => void, { path: PropertyKey[]; message: string }[]]>([
    [
      'a dated tag that is not <branch>-<date>',
      (p) => (p.branches[1]!.images[0]!.tags.dated = `${reg}/fixture-base:nightly`),
      [
        {
          path: ['branches', 1, 'images', 0, 'tags', 'dated'],
          message: 'the dated tag must be master-2026-11-27, not "nightly"',
        },
      ],
    ],
    [
      'a floating tag that is not the branch',
      (p) => (p.branches[0]!.images[1]!.tags.floating = `${reg}/fixture-app:nightly`),
      [
        {
          path: ['branches', 0, 'images', 1, 'tags', 'floating'],
          message: 'the floating tag must be 1.11.x, not "nightly"',
        },
      ],
    ],
    [
      'an extra moving tag other than latest on master',
      (p) => (p.branches[1]!.images[0]!.tags.also = [`${reg}/fixture-base:latest`, `${reg}/fixture-base:stable`]),
      [
        {
          path: ['branches', 1, 'images', 0, 'tags', 'also', 1],
          message: '"stable" cannot be an extra moving tag of master: only master also moves latest',
        },
      ],
    ],
    [
      'latest as an extra moving tag of a branch other than master',
      (p) => (p.branches[0]!.images[0]!.tags.also = [`${reg}/fixture-base:latest`]),
      [
        {
          path: ['branches', 0, 'images', 0, 'tags', 'also', 0],
          message: '"latest" cannot be an extra moving tag of 1.11.x: only master also moves latest',
        },
      ],
    ],
    [
      "an extra moving tag outside the plan's registry",
      (p) => (p.branches[1]!.images[1]!.tags.also = ['example.com/mesos/fixture-app:latest']),
      [
        {
          path: ['branches', 1, 'images', 1, 'tags', 'also', 0],
          message:
            `"example.com/mesos/fixture-app:latest" is not in the plan's registry ${reg}: it would be pushed with ` +
            `the credentials of 127.0.0.1:5000 to example.com; every tag of fixture-app must be ${reg}/fixture-app:TAG`,
        },
      ],
    ],
    [
      "a tag that is the branch's dated tag of another day",
      (p) => (p.branches[1]!.images[0]!.tags.floating = `${reg}/fixture-base:master-2026-11-26`),
      [
        {
          path: ['branches', 1, 'images', 0, 'tags', 'floating'],
          message:
            `"${reg}/fixture-base:master-2026-11-26" is a dated tag of master on 2026-11-26; ` +
            "this plan's is master-2026-11-27",
        },
      ],
    ],
    [
      'a createdAt that parses but is not written as plan writes it',
      (p) => (p.createdAt = '2026-11-27T23:59:00Z'),
      [
        {
          path: ['createdAt'],
          message:
            '"2026-11-27T23:59:00Z" is not an ISO 8601 UTC instant as plan writes it ' +
            '(for example 2026-11-27T10:00:00.000Z)',
        },
      ],
    ],
    [
      "a GIT_SHA build arg other than the branch's sha",
      (p) => (p.branches[0]!.images[1]!.buildArgs.GIT_SHA = sha2),
      [{ path: ['branches', 0, 'images', 1, 'buildArgs', 'GIT_SHA'], message: `must be the branch's sha ${sha1}` }],
    ],
    [
      "a source label other than the plan's repo",
      (p) => (p.branches[1]!.images[0]!.labels['org.opencontainers.image.source'] = 'https://example.com/mesos.git'),
      [
        {
          path: ['branches', 1, 'images', 0, 'labels', 'org.opencontainers.image.source'],
          message: "must be the plan's repo",
        },
      ],
    ],
  ])('reports %s at its path', (_name, edit, problems) => {
    expect(planProblems(tampered(edit))).toEqual(problems);
  });

  it('checks no tags of a branch whose name is invalid', () => {
    const problems = planProblems(tampered((p) => (p.branches[1]!.branch = 'no such branch')));
    expect(problems.map((problem) => problem.path)).toEqual([['branches', 1, 'branch']]);
  });
});
