import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY_PASSWORD, CANARY_USER, canaryEnv, leaks } from '../helpers/canary.js';
import { runBuiltCli } from '../helpers/cli.js';
import { GitRepo } from '../helpers/git-repo.js';
import { stubServer, type StubServer } from '../helpers/http-server.js';
import { makePlan, writePlanFile } from '../helpers/plan-file.js';
import { blobUploads, listTags } from '../helpers/registry.js';
import { TODAY, stack } from '../helpers/scenario.js';
import { dockerOf, uniqueId } from '../helpers/stack.js';
import type { Plan, PlannedImage } from '../../pipeline/plan/plan.js';

// `publish --plan` with a plan file someone changed: refused like bad command-line input (exit 2,
// one line naming what is wrong) before anything is contacted. A registry of its own stands for
// the foreign host a tampered tag names: it would record any request, with the canary credentials.

const repo = new GitRepo();
repo.commit('1.7.x');
let foreign: StubServer;
// One plan, made once (a `plan` process each would only repeat it): each test tampers with a copy.
// Nothing may reach its namespace, whichever test tampered.
const namespace = `tampered-${uniqueId()}`;
let planned: Plan;
beforeAll(async () => {
  planned = await makePlan({
    repo: repo.dir,
    registry: `${stack.registry}/${namespace}`,
    date: TODAY,
    branches: ['1.7.x'],
  });
  // Answers like a registry that wants Basic credentials, so an engine would send them.
  foreign = await stubServer((_, response) =>
    response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="foreign"' }).end(),
  );
});
afterAll(async () => {
  await foreign.close();
  repo.remove();
});

/** Replaces the tag of one role of an image. */
const setTag = (image: PlannedImage, role: 'dated' | 'floating' | 'version', ref: string): void => {
  image.tags[role] = ref;
};
const firstImage = (plan: Plan): PlannedImage => plan.branches[0]?.images[0] as PlannedImage;

const tampered: [string, (plan: Plan, namespace: string) => void, RegExp][] = [
  [
    'a tag on a foreign registry',
    (plan, namespace) => setTag(firstImage(plan), 'dated', `${foreign.host}/${namespace}/fixture-base:1.7.x-${TODAY}`),
    /branches\[0\]\.images\[0\]\.tags\.dated: ".*" is not in the plan's registry .*: it would be pushed with the credentials of 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+/,
  ],
  [
    'credentials in the repository URL',
    (plan, namespace) => {
      const leaky = `https://${CANARY_USER}:${encodeURIComponent(CANARY_PASSWORD)}@127.0.0.1:1/${namespace}.git`;
      // As a plan made from such a URL would have it: everywhere the repository goes.
      Object.assign(plan, JSON.parse(JSON.stringify(plan).split(JSON.stringify(plan.repo).slice(1, -1)).join(leaky)));
    },
    /repo: https:\/\/\*\*\*@127\.0\.0\.1:1\/tampered-\w+\.git: the URL carries credentials/,
  ],
  [
    'a branch that is no Mesos branch',
    (plan) => {
      (plan.branches[0] as { branch: string }).branch = 'feature/x';
    },
    /branches\[0\]\.branch: "feature\/x" is not master or a release branch named N\.N\.x/,
  ],
  [
    'a tag that is no Docker tag',
    (plan) => {
      const image = firstImage(plan);
      setTag(image, 'floating', `${image.tags.floating}!`);
    },
    /branches\[0\]\.images\[0\]\.tags\.floating: image reference ".*:1\.7\.x!": tag "1\.7\.x!" is not a valid Docker tag/,
  ],
];

// Each test writes a plan file of its own and contacts nothing: they run at once.
describe.concurrent('publish --plan with a tampered plan', () => {
  it.each(tampered)('%s: exit 2, one line, nothing contacted', async (_, tamper, message) => {
    const plan = structuredClone(planned);
    tamper(plan, namespace);
    const file = writePlanFile(`${namespace}-${uniqueId()}`, plan);

    const result = await runBuiltCli(['publish', '--plan', file], { DOCKER_HOST: stack.dockerHost, ...canaryEnv() });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`^error: --plan ${file}: `));
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
    expect(leaks(`${result.stdout}${result.stderr}`)).toEqual([]);
    // Nothing contacted: not the foreign registry, not the plan's, and nothing was built.
    expect(foreign.requests).toEqual([]);
    for (const image of ['fixture-base', 'fixture-app']) {
      expect(await listTags({ host: stack.registry }, `${namespace}/${image}`)).toEqual([]);
      expect(blobUploads(stack.registryLog, `${namespace}/${image}`)).toBe(0);
    }
    expect(
      await dockerOf(stack).listImages({ filters: { label: [`org.opencontainers.image.source=${plan.repo}`] } }),
    ).toEqual([]);
  });
});
