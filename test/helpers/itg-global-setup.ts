import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * Integration tests need the real stack and the built CLI. engine-up.sh is idempotent and fast
 * when the stack is already up, so the tests start it themselves rather than trusting someone
 * did; the CLI is rebuilt so a spawned `mesos-pipeline` is never older than the source.
 */
export default function setup(): void {
  execFileSync('bash', [path.join(root, 'scripts/engine-up.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  // scripts/test.sh (npm test) has just built it: a second tsc would cost CI 15-60 s for nothing.
  if (process.env.MP_TEST_CLI_BUILT === '1') return;
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')],
    { stdio: 'inherit', cwd: root },
  );
}
