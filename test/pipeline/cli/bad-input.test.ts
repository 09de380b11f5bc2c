import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../pipeline/cli/run-cli.js';
import { redactorFromEnv } from '../../../pipeline/redact.js';
import { argvOf, badInputRows, envOf, expectRejected, type Target } from '../../helpers/bad-input-rows.js';
import { copyFamily } from '../../helpers/family-copy.js';
import { GitRepo } from '../../helpers/git-repo.js';
import { stubServer, type StubServer } from '../../helpers/http-server.js';
import { testRuntime } from '../../helpers/runtime.js';

// Bad input on every surface, each row run in-process the way main.ts runs a command line (its
// environment, a redactor that knows the environment's secrets, stdout and stderr as text): exit 2
// (or 1 for a failure while working), one line that names the input and what would be valid. The
// engine (DOCKER_HOST) and the registry the rows point at is one recording HTTP server: no row may
// ask it anything, so nothing was built, pulled or pushed. The rows that need a real engine or
// registry, and one row of each kind through the built CLI, run in test/itg/bad-input.itg.test.ts.

const repo = new GitRepo();
repo.commit('1.7.x');
repo.branches('1.6.x');
const emptyHome = mkdtempSync(path.join(tmpdir(), 'mp-home-'));
let recorder: StubServer;
let at: Target;
beforeAll(async () => {
  // The command's modules (dockerode, zod, ...) load on its first run: here, not in a row's time.
  await import('../../../pipeline/commands/publish.js');
  recorder = await stubServer((_, response) => {
    response.statusCode = 500;
    response.end();
  });
  at = {
    registry: recorder.host,
    authRegistry: `${recorder.host}/badinput-auth`,
    openRegistry: `${recorder.host}/badinput`,
    repo: repo.dir,
    emptyHome,
  };
}, 60_000);
afterAll(async () => {
  await recorder.close();
  repo.remove();
  rmSync(emptyHome, { recursive: true, force: true });
});

// The rows' texts do not depend on where they point; `at` is known once the recorder listens.
const table = badInputRows({ registry: '', authRegistry: '', openRegistry: '', repo: '', emptyHome: '' });
const inProcess = table.filter((row) => row.needs === undefined);

describe('bad input, in-process', () => {
  it('has at least 30 cases, all but those that need a real engine or registry run here', () => {
    expect(table.length).toBeGreaterThanOrEqual(30);
    expect(inProcess.length).toBeGreaterThanOrEqual(table.length - 3);
  });

  it.each(inProcess.map((row) => [row.what] as const))(
    '%s: exit code, one line naming it, no request to the engine or a registry',
    async (what) => {
      const row = badInputRows(at).find((candidate) => candidate.what === what);
      if (!row) throw new Error(`no row ${what}`);
      const family = copyFamily(row.family ?? {});
      try {
        // As runBuiltCli starts the CLI: PATH and HOME of this process, the row's own variables.
        const env = {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          DOCKER_HOST: `tcp://${recorder.host}`,
          ...envOf(row),
        };
        const runtime = testRuntime({ env, redactor: redactorFromEnv(env), now: new Date().toISOString() });
        const code = await runCli(argvOf(row, at, family), runtime);
        expectRejected(row, { code, stdout: runtime.stdout.text, stderr: runtime.stderr.text });
      } finally {
        rmSync(family, { recursive: true, force: true });
      }
      expect(recorder.requests.map((request) => `${request.method} ${request.url}`)).toEqual([]);
    },
  );
});
