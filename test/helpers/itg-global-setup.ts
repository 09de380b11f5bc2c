import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * Integration tests need the real stack; engine-up.sh is idempotent and fast when it is already
 * up, so the tests start it themselves rather than trusting someone did.
 */
export default function setup(): void {
  const script = path.resolve(import.meta.dirname, '../../scripts/engine-up.sh');
  execFileSync('bash', [script], { stdio: ['ignore', 'ignore', 'inherit'] });
}
