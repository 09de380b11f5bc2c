import { describe, expect, it } from 'vitest';
import { runCli } from '../../../pipeline/cli/run-cli.js';
import { fixtureFamily } from '../../helpers/paths.js';
import { testRuntime } from '../../helpers/runtime.js';

// Nothing listens on this port: any registry call would fail with exit 1, not 2.
const registry = ['--registry', '127.0.0.1:2/mesos', '--images', fixtureFamily];

describe('prune and status refuse bad input before any I/O', () => {
  it.each([
    [
      ['status', '--max-age', '3x', '--branch', 'master'],
      /^error: --max-age "3x" is not a duration; use whole numbers with d, h, m or s, for example 36h, 2d or 1d12h\n$/,
    ],
    [['status', '--max-age', '0h', '--branch', 'master'], /--max-age "0h" must be longer than zero/],
    [
      ['status', '--branch', 'main'],
      /^error: --branch "main" is not master or a release branch named N\.N\.x, for example 1\.11\.x\n$/,
    ],
    [['status', '--branch', 'master', '--min-version', '1'], /--min-version "1" is not MAJOR.MINOR/],
    [
      ['status', '--branch', 'master', '--registry', 'localhost:5000'],
      /--registry "localhost:5000": a namespace is missing/,
    ],
    [['status', '--branch', 'master', '--date', '2026-11-27'], /unknown option '--date'/],
    [['prune'], /^error: required option '--keep-days <n>' not specified; see mesos-pipeline --help\n$/],
    [['prune', '--keep-days', '0'], /^error: --keep-days "0" must be a whole number from 1 to 36500\n$/],
    [['prune', '--keep-days', '7d'], /--keep-days "7d" must be a whole number/],
    [['prune', '--keep-days', '7', '--branch', 'feature/x'], /--branch "feature\/x" is not master or a release branch/],
    [['prune', '--keep-days', '7', '--images', '/nonexistent'], /images.json not found/],
  ])('%o: exit 2, one line', async (args, message) => {
    const runtime = testRuntime();
    const [command, ...rest] = args as [string, ...string[]];
    const hasImages = rest.includes('--images');
    const hasRegistry = rest.includes('--registry');
    const full = [
      command,
      ...(hasRegistry ? [] : registry.slice(0, 2)),
      ...(hasImages ? [] : registry.slice(2)),
      ...rest,
    ];
    expect(await runCli(full, runtime)).toBe(2);
    expect(runtime.stderr.text).toMatch(message);
    expect(runtime.stderr.text.trimEnd().split('\n')).toHaveLength(1);
    expect(runtime.stdout.text).toBe('');
  });

  it('prune on Docker Hub without credentials is refused before reading the registry', async () => {
    const runtime = testRuntime({ env: { HOME: '/nonexistent' } });
    expect(
      await runCli(['prune', '--keep-days', '7', '--registry', 'docker.io/mesos', '--images', fixtureFamily], runtime),
    ).toBe(2);
    expect(runtime.stderr.text).toMatch(
      /^error: pruning Docker Hub needs credentials: set REGISTRY_USERNAME and REGISTRY_PASSWORD/,
    );
  });

  it('status exits 1, naming the registry, when the registry cannot be reached', async () => {
    const runtime = testRuntime({ env: { MESOS_PIPELINE_RETRY_MIN_MS: '1' } });
    expect(await runCli(['status', ...registry, '--branch', 'master'], runtime)).toBe(1);
    expect(runtime.stderr.text).toMatch(/cannot reach 127\.0\.0\.1:2/);
  }, 60_000);
});
