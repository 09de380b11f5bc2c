import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

// scripts/lib.sh quiet_apt_install, with a stand-in apt-get first on PATH that prints what dpkg
// prints and records how it was called: the first screen of `npm run demo` must not fill with it.

const dir = mkdtempSync(path.join(tmpdir(), 'mp-quiet-apt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = path.join(dir, 'bin');
const calls = path.join(dir, 'calls');
spawnSync('mkdir', ['-p', bin]);
writeFileSync(
  path.join(bin, 'apt-get'),
  `#!/bin/sh
echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >> "${calls}"
if [ "$1" = install ]; then
  echo "Selecting previously unselected package busybox-static."
  echo "Unpacking busybox-static (1:1.35.0-4+b3) ..."
  echo "Setting up busybox-static (1:1.35.0-4+b3) ..."
  if [ -n "$FAIL" ]; then echo "E: Unable to locate package $FAIL" >&2; exit 100; fi
fi
`,
);
chmodSync(path.join(bin, 'apt-get'), 0o755);

function install(env: Record<string, string> = {}): { status: number | null; stderr: string; stdout: string } {
  const log = path.join(dir, 'state', 'apt.log');
  const result = spawnSync(
    'bash',
    ['-c', `set -euo pipefail; . "${repoRoot}/scripts/lib.sh"; quiet_apt_install "${log}" busybox-static skopeo`],
    { encoding: 'utf8', env: { PATH: `${bin}:${process.env.PATH}`, HOME: dir, ...env } },
  );
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe('quiet_apt_install', () => {
  it('installs without questions and without dpkg lines on the screen; they are in the log file', () => {
    rmSync(calls, { force: true });
    const result = install();
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('');
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual([
      'DEBIAN_FRONTEND=noninteractive update -qq',
      'DEBIAN_FRONTEND=noninteractive install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 busybox-static skopeo',
    ]);
    expect(readFileSync(path.join(dir, 'state', 'apt.log'), 'utf8')).toContain('Unpacking busybox-static');
  });

  it('shows the whole output when the install fails, and fails', () => {
    const result = install({ FAIL: 'skopeo' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/^\[engine\] error: installing busybox-static skopeo failed; the output of apt-get/);
    expect(result.stderr).toContain('Unpacking busybox-static');
    expect(result.stderr).toContain('E: Unable to locate package skopeo');
  });

  it('engine-up.sh and toolchain-image.sh install through it, and call apt-get nowhere else', () => {
    for (const script of ['engine-up.sh', 'toolchain-image.sh']) {
      const text = readFileSync(path.join(repoRoot, 'scripts', script), 'utf8');
      expect(text).toContain('quiet_apt_install "$MP_STATE_DIR/apt.log"');
      expect(text).not.toMatch(/^\s*apt-get /m);
    }
  });
});
