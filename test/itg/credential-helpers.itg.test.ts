import { chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CANARY_PASSWORD, leaks } from '../helpers/canary.js';
import { runBuiltCli } from '../helpers/cli.js';
import { GitRepo } from '../helpers/git-repo.js';
import { fixtureFamily } from '../helpers/paths.js';
import { blobUploads, listTags } from '../helpers/registry.js';
import { TODAY, stack } from '../helpers/scenario.js';
import { uniqueId } from '../helpers/stack.js';
import { writeTree } from '../helpers/temp-files.js';

// A credential helper (docker login's credsStore) that misbehaves: the run stops with exit 2 and
// one line, the helper's output (the secret, here the canary) appears nowhere, and nothing reaches
// the registry.

const repo = new GitRepo();
repo.commit('1.7.x');
afterAll(() => repo.remove());

/** A folder holding `docker-credential-mp-test` with `script` as its body, for PATH. */
function helperOnPath(script: string): string {
  const bin = writeTree({ 'docker-credential-mp-test': `#!/bin/sh\n${script}\n` }, 'mp-helper-');
  chmodSync(path.join(bin, 'docker-credential-mp-test'), 0o755);
  return bin;
}

describe('a misbehaving credential helper', () => {
  it.each([
    ['prints no JSON', `cat >/dev/null; echo '${CANARY_PASSWORD}'`, /printed no JSON credentials/],
    ['exits without reading stdin', `exec 0<&-; echo '${CANARY_PASSWORD}' >&2; exit 1`, /failed \(exit code 1\)/],
  ])('that %s: exit 2, one line, its output nowhere, nothing contacted', async (_, script, message) => {
    const namespace = `credhelper-${uniqueId()}`;
    const config = writeTree({ 'config.json': JSON.stringify({ credsStore: 'mp-test' }) }, 'mp-docker-config-');
    const result = await runBuiltCli(
      [
        'publish',
        '--repo',
        repo.dir,
        '--images',
        fixtureFamily,
        '--registry',
        `${stack.authRegistry}/${namespace}`,
        '--date',
        TODAY,
        '--branch',
        '1.7.x',
      ],
      {
        DOCKER_HOST: stack.dockerHost,
        DOCKER_CONFIG: config,
        PATH: `${helperOnPath(script)}:${process.env.PATH ?? ''}`,
      },
    );
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(`^error: docker-credential-mp-test get for ${stack.authRegistry} ${message.source}.*\\n$`),
    );
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
    expect(leaks(`${result.stdout}${result.stderr}`)).toEqual([]);
    const registry = { host: stack.authRegistry, username: stack.username, password: stack.password };
    for (const image of ['fixture-base', 'fixture-app']) {
      expect(await listTags(registry, `${namespace}/${image}`)).toEqual([]);
      expect(blobUploads(stack.authRegistryLog, `${namespace}/${image}`)).toBe(0);
    }
  });
});
