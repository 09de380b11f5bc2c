import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runBuiltCli } from '../helpers/cli.js';
import { GitRepo } from '../helpers/git-repo.js';
import { runPlan, writePlanFile } from '../helpers/plan-file.js';
import { quickFamily } from '../helpers/quick-family.js';
import { configOf, listTags, manifestOf } from '../helpers/registry.js';
import { readStack, uniqueId } from '../helpers/stack.js';

// Plan once, apply later (the nightly's plan job and its per-branch publish jobs): what is built is
// the commit the plan resolved, even when the branch moves in between.
const stack = readStack();
const open = { host: stack.registry };
const repo = new GitRepo();
repo.commit('1.10.x');
afterAll(() => repo.remove());

describe('publish --plan', () => {
  it('builds the planned sha and date, not what the branch points at by then', async () => {
    const namespace = `planfile-${uniqueId()}`;
    const planned = repo.sha('1.10.x');
    // Its smoke specs read the commit the image was built from (/opt/fixture/sha) without starting a container.
    const family = quickFamily();
    const made = await runPlan({
      repo: repo.dir,
      images: family,
      registry: `${stack.registry}/${namespace}`,
      date: '2026-11-27',
    });
    expect(made.code).toBe(0);
    const file = writePlanFile(namespace, made.stdout);
    const moved = repo.commit('1.10.x', 'pushed while the nightly runs');
    expect(moved).not.toBe(planned);

    const result = await runBuiltCli(['publish', '--plan', file, '--branch', '1.10.x', '--images', family], {
      DOCKER_HOST: stack.dockerHost,
    });
    expect(result.stderr).toContain('[1.10.x] published');
    expect(result.code).toBe(0);
    expect(await listTags(open, `${namespace}/fixture-app`)).toEqual(['1.10.x', '1.10.x-2026-11-27']);
    expect(await listTags(open, `${namespace}/fixture-base`)).toEqual(['1.10.x', '1.10.x-2026-11-27']);
    const manifest = await manifestOf(open, `${namespace}/fixture-app`, '1.10.x');
    const config = await configOf(open, `${namespace}/fixture-app`, manifest?.config as string);
    expect(config.config.Labels?.['org.opencontainers.image.revision']).toBe(planned);
    // master was planned too, but this job was asked for 1.10.x only.
    const plan = JSON.parse(readFileSync(file, 'utf8')) as { branches: { branch: string }[] };
    expect(plan.branches.map((b) => b.branch)).toEqual(['1.10.x', 'master']);
  });
});
