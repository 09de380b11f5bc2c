import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { argvOf, badInputRows, envOf, expectRejected } from '../helpers/bad-input-rows.js';
import { runBuiltCli } from '../helpers/cli.js';
import { copyFamily } from '../helpers/family-copy.js';
import { GitRepo } from '../helpers/git-repo.js';
import { blobUploads, listTags } from '../helpers/registry.js';
import { stack } from '../helpers/scenario.js';
import { dockerOf, uniqueId } from '../helpers/stack.js';

// Bad input end to end: the built CLI as users run it, against the real engine and registries.
// Here run the rows that need them (a build that fails, credentials a registry refuses) and a few
// rows of bad input (an option, git, a list of problems in images.json, a secret in the
// environment), for the real process's exit code, its one line on stderr, its redaction and
// registries left untouched. Every row that needs no engine and no registry also runs in-process, where nothing
// may even be asked: test/pipeline/cli/bad-input.test.ts.

const repo = new GitRepo();
repo.commit('1.7.x');
repo.branches('1.6.x');
const namespace = `badinput-${uniqueId()}`;
const repositories = [`${namespace}/fixture-base`, `${namespace}/fixture-app`];
const emptyHome = mkdtempSync(path.join(tmpdir(), 'mp-home-'));
afterAll(() => {
  repo.remove();
  rmSync(emptyHome, { recursive: true, force: true });
});

const at = {
  registry: stack.registry,
  authRegistry: `${stack.authRegistry}/${namespace}`,
  openRegistry: `${stack.registry}/${namespace}`,
  repo: repo.dir,
  emptyHome,
};
// The one that builds first: it takes longest, and the others share the second lane meanwhile.
const rows = badInputRows(at)
  .filter((row) => row.needs !== undefined || row.endToEnd)
  .sort((a, b) => Number(b.builds ?? false) - Number(a.builds ?? false));

describe('bad input, end to end', () => {
  it('runs the rows that need the real stack and one of each kind of input', () => {
    expect(rows.filter((row) => row.needs).map((row) => row.what)).toEqual([
      'a Dockerfile whose RUN fails',
      'a wrong password',
      'no credentials for a registry that needs them',
    ]);
    expect(rows.filter((row) => row.endToEnd).map((row) => row.code)).toContain(2);
  });

  // Each row is a process of its own that waits mostly on start-up: two at once.
  it.concurrent.each(rows.map((row) => [row.what, row] as const))(
    '%s: exit code, one line naming it, nothing built or pushed',
    async (_, row) => {
      const family = copyFamily(row.family ?? {});
      try {
        const result = await runBuiltCli(argvOf(row, at, family), { DOCKER_HOST: stack.dockerHost, ...envOf(row) });
        expectRejected(row, result);
      } finally {
        rmSync(family, { recursive: true, force: true });
      }
      for (const registry of [
        { host: stack.registry },
        { host: stack.authRegistry, username: stack.username, password: stack.password },
      ]) {
        for (const repository of repositories) expect(await listTags(registry, repository)).toEqual([]);
      }
    },
  );

  it('left no image and no blob of any of them behind', async () => {
    expect(
      await dockerOf(stack).listImages({ filters: { label: [`org.opencontainers.image.source=${repo.dir}`] } }),
    ).toEqual([]);
    for (const repository of repositories) {
      expect(blobUploads(stack.registryLog, repository)).toBe(0);
      expect(blobUploads(stack.authRegistryLog, repository)).toBe(0);
    }
  });
});
