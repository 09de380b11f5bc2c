import { describe, expect, it } from 'vitest';
import { loadFamily } from '../../../pipeline/family/family.js';
import { zodProblems } from '../../../pipeline/family/zod-problems.js';
import { makePlan, type Plan, type PlannedImage } from '../../../pipeline/plan/plan.js';
import { planSchema, planVersionProblem } from '../../../pipeline/plan/plan-schema.js';
import { fixtureFamily } from '../../helpers/paths.js';

// A plan file is input like the command line: a tampered one is refused with every problem named,
// before anything is contacted (tags outside the plan's registry would get its credentials).

const family = await loadFamily(fixtureFamily);
const made = makePlan({
  date: '2026-11-27',
  imagesDir: 'test/fixtures/family',
  createdAt: '2026-11-27T10:00:00.000Z',
  repo: 'https://github.com/apache/mesos.git',
  registry: { host: '127.0.0.1:5000', namespace: 'mesos' },
  family,
  branches: [
    { branch: '1.11.x', sha: '1'.repeat(40), releaseTag: '1.11.0' },
    { branch: 'master', sha: '2'.repeat(40) },
  ],
});

/** A fresh copy of the plan as `plan --json` writes it. */
const fresh = (): Plan => JSON.parse(JSON.stringify(made)) as Plan;
const image = (plan: Plan, branch = 0, index = 0): PlannedImage => plan.branches[branch]?.images[index] as PlannedImage;
/** Replaces the tag of one role of an image. */
const setTag = (target: PlannedImage, role: 'dated' | 'floating' | 'version', ref: string): void => {
  target.tags[role] = ref;
};

function problemsOf(plan: unknown): string[] {
  const parsed = planSchema.safeParse(plan);
  return parsed.success ? [] : zodProblems(parsed.error);
}

describe('planSchema', () => {
  it('takes a plan as plan --json makes it', () => {
    expect(problemsOf(fresh())).toEqual([]);
  });

  it.each<[string, (plan: Plan) => void, RegExp]>([
    [
      'a tag on another registry host',
      (plan) => setTag(image(plan), 'dated', 'evil.example:443/mesos/fixture-base:1.11.x-2026-11-27'),
      /^branches\[0\]\.images\[0\]\.tags\.dated: "evil\.example:443\/mesos\/fixture-base:1\.11\.x-2026-11-27" is not in the plan's registry 127\.0\.0\.1:5000\/mesos: it would be pushed with the credentials of 127\.0\.0\.1:5000 to evil\.example:443; every tag of fixture-base must be 127\.0\.0\.1:5000\/mesos\/fixture-base:TAG$/,
    ],
    [
      'a tag in another namespace',
      (plan) => setTag(image(plan, 1, 1), 'floating', '127.0.0.1:5000/other/fixture-app:master'),
      /^branches\[1\]\.images\[1\]\.tags\.floating: "127\.0\.0\.1:5000\/other\/fixture-app:master" is not in the plan's registry 127\.0\.0\.1:5000\/mesos; every tag of fixture-app must be/,
    ],
    [
      'a tag of another image',
      (plan) => setTag(image(plan), 'floating', '127.0.0.1:5000/mesos/fixture-app:1.11.x'),
      /^branches\[0\]\.images\[0\]\.tags\.floating: .* every tag of fixture-base must be 127\.0\.0\.1:5000\/mesos\/fixture-base:TAG$/,
    ],
    [
      'a tag that is no Docker tag',
      (plan) => setTag(image(plan), 'version', '127.0.0.1:5000/mesos/fixture-base:-1.11.0'),
      /^branches\[0\]\.images\[0\]\.tags\.version: image reference ".*:-1\.11\.0": tag "-1\.11\.0" is not a valid Docker tag/,
    ],
    [
      "another branch's floating tag",
      (plan) => setTag(image(plan), 'version', '127.0.0.1:5000/mesos/fixture-base:master'),
      /^branches\[0\]\.images\[0\]\.tags\.version: ".*:master" is the floating tag of master, not of 1\.11\.x$/,
    ],
    [
      'a dated tag of another day',
      (plan) => setTag(image(plan), 'dated', '127.0.0.1:5000/mesos/fixture-base:1.11.x-2026-11-01'),
      /^branches\[0\]\.images\[0\]\.tags\.dated: ".*:1\.11\.x-2026-11-01" is a dated tag of 1\.11\.x on 2026-11-01; this plan's is 1\.11\.x-2026-11-27$/,
    ],
    [
      'a dated tag of another branch on the same day',
      (plan) => setTag(image(plan), 'dated', '127.0.0.1:5000/mesos/fixture-base:1.10.x-2026-11-27'),
      /^branches\[0\]\.images\[0\]\.tags\.dated: ".*:1\.10\.x-2026-11-27" is a dated tag of 1\.10\.x on 2026-11-27; this plan's is 1\.11\.x-2026-11-27$/,
    ],
    [
      'credentials in the repository URL',
      (plan) => {
        plan.repo = 'https://bot:s3cret-token@github.com/apache/mesos.git';
      },
      /^repo: https:\/\/\*\*\*@github\.com\/apache\/mesos\.git: the URL carries credentials/,
    ],
    [
      'build args for another repository',
      (plan) => {
        image(plan).buildArgs.GIT_REPO = 'https://bot:s3cret-token@github.com/apache/mesos.git';
      },
      /^branches\[0\]\.images\[0\]\.buildArgs\.GIT_REPO: must be the plan's repo$/,
    ],
    [
      'a label for another commit',
      (plan) => {
        image(plan, 1, 1).labels['org.opencontainers.image.revision'] = '3'.repeat(40);
      },
      /^branches\[1\]\.images\[1\]\.labels\.org\.opencontainers\.image\.revision: must be the branch's sha 2{40}$/,
    ],
    [
      'a branch that is no Mesos branch',
      (plan) => {
        (plan.branches[1] as { branch: string }).branch = 'feature/x';
      },
      /^branches\[1\]\.branch: "feature\/x" is not master or a release branch named N\.N\.x, for example 1\.11\.x$/,
    ],
    [
      'a branch planned twice',
      (plan) => {
        (plan.branches[1] as { branch: string }).branch = '1.11.x';
      },
      /^branches\[1\]\.branch: "1\.11\.x" is planned twice \(also branches\[0\]\)$/,
    ],
    [
      'a registry that is no registry',
      (plan) => {
        plan.registry = 'https://127.0.0.1:5000/mesos';
      },
      /^registry: "https:\/\/127\.0\.0\.1:5000\/mesos": "https:" is not a valid registry host/,
    ],
    [
      'a day that does not exist',
      (plan) => {
        plan.date = '2026-02-30';
      },
      /^date: "2026-02-30" is not a real calendar day: 2026-02 has 28 days; for example 2026-02-28$/,
    ],
    [
      'a creation time that is no instant',
      (plan) => {
        plan.createdAt = 'yesterday';
      },
      /^createdAt: "yesterday" is not an ISO 8601 UTC instant/,
    ],
    [
      'a version pattern that does not compile',
      (plan) => {
        (plan.branches[0] as { versionPattern: string }).versionPattern = '1\\.11\\.(';
      },
      /^branches\[0\]\.versionPattern: not a valid regular expression/,
    ],
  ])('refuses %s, naming where', (_, tamper, message) => {
    const plan = fresh();
    tamper(plan);
    const problems = problemsOf(plan);
    expect(
      problems.some((problem) => message.test(problem)),
      problems.join('\n'),
    ).toBe(true);
    expect(problems.join('\n')).not.toContain('s3cret-token');
  });
});

describe('planSchema: fields of the wrong shape (mutation testing)', () => {
  it.each<[string, (plan: Record<string, unknown>) => void, string]>([
    [
      'another format version',
      (plan) => (plan.version = 3),
      'version: must be 2; this plan was made by another version of mesos-pipeline',
    ],
    [
      'a short sha',
      (plan) => ((plan.branches as Record<string, unknown>[])[0]!.sha = 'abc1234'),
      'branches[0].sha: must be a full commit sha',
    ],
  ])('refuses %s with its message', (_, tamper, message) => {
    const plan = fresh() as unknown as Record<string, unknown>;
    tamper(plan);
    expect(problemsOf(plan)).toContain(message);
  });
});

describe('planVersionProblem', () => {
  it.each([
    [
      1,
      'the plan has format version 1, made by an older mesos-pipeline; this one reads version 2: ' +
        'make the plan again with this mesos-pipeline (plan --json)',
    ],
    [
      3,
      'the plan has format version 3, made by a newer mesos-pipeline; this one reads version 2: ' +
        'make the plan again with this mesos-pipeline (plan --json)',
    ],
  ])('names version %s and what to do', (version, message) => {
    expect(planVersionProblem({ ...fresh(), version })).toBe(message);
  });

  it.each([
    ['this version', { version: 2 }],
    ['a version that is not a number (the schema names it)', { version: '1' }],
    ['no version (the schema names it)', {}],
    ['no object', 'plan'],
  ])('says nothing of %s', (_, raw) => {
    expect(planVersionProblem(raw)).toBeUndefined();
  });
});
