import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeTree } from '../helpers/temp-files.js';
import { contextOf } from './dockerfile-facts.js';

// mesos-centos' runtime-packages.sh, run here on this machine's own ELF files with a fake `rpm`
// that names the owner of a file after it: which libraries it asks about is what is tested.
const script = path.join(contextOf('mesos-centos'), 'runtime-packages.sh');
const FAKE_RPM = `#!/bin/sh
# rpm -qf --queryformat '%{NAME}\\n' FILE
case "$4" in *"$UNOWNED"*) echo "file $4 is not owned by any package"; exit 1 ;; esac
echo "owner-of-$(basename "$4" | sed 's/[.]so.*//')"
`;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A staging root holding a copy of /bin/ls, one library of its own, a script and a README. */
function stage(): { root: string; bin: string } {
  const root = writeTree({
    'usr/share/doc/README': 'not an ELF file\n',
    'usr/bin/tool': '#!/bin/sh\necho not an ELF either\n',
  });
  const bin = writeTree({ rpm: FAKE_RPM });
  dirs.push(root, bin);
  chmodSync(path.join(bin, 'rpm'), 0o755);
  chmodSync(path.join(root, 'usr/bin/tool'), 0o755);
  mkdirSync(path.join(root, 'usr/sbin'), { recursive: true });
  copyFileSync('/bin/ls', path.join(root, 'usr/sbin/ls'));
  return { root, bin };
}

function libraryOfLs(name: RegExp): string {
  const line =
    spawnSync('ldd', ['/bin/ls'], { encoding: 'utf8' })
      .stdout.split('\n')
      .find((l) => name.test(l)) ?? '';
  return /=> (\S+)/.exec(line)?.[1] ?? '';
}

const run = (root: string, bin: string, unowned = '') =>
  spawnSync('sh', [script, root], {
    encoding: 'utf8',
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, UNOWNED: unowned || '\u0000none' },
  });

describe('runtime-packages.sh', () => {
  it('names the packages owning the libraries the staged ELF files need, not the staged ones', () => {
    const { root, bin } = stage();
    const libc = libraryOfLs(/libc\.so/);
    expect(libc).not.toBe('');
    // Staged beside the binaries, like libmesos: resolved inside the root, owned by nobody.
    mkdirSync(path.join(root, 'usr/lib64'), { recursive: true });
    copyFileSync(libc, path.join(root, 'usr/lib64', path.basename(libc)));
    writeFileSync(path.join(root, 'usr/lib64/README.so.txt'), 'not an ELF file\n');

    const result = run(root, bin, path.basename(libc));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const packages = result.stdout.trim().split('\n');
    expect(packages).toEqual([...new Set(packages)].sort());
    expect(packages).toContain('owner-of-ld-linux-x86-64');
    expect(packages).not.toContain('owner-of-libc');
    for (const name of packages) expect(name).toMatch(/^owner-of-[\w.+-]+$/);
  });

  it('resolves libraries staged in any folder, such as the bundled ones under /usr/lib64/mesos/3rdparty', () => {
    const { root, bin } = stage();
    const libc = libraryOfLs(/libc\.so/);
    const nested = path.join(root, 'usr/lib64/mesos/3rdparty/deep/build/path/lib');
    mkdirSync(nested, { recursive: true });
    copyFileSync(libc, path.join(nested, path.basename(libc)));

    const result = run(root, bin, path.basename(libc));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).not.toContain('owner-of-libc');
  });

  it('fails, naming the file, when a needed library belongs to no package', () => {
    const { root, bin } = stage();
    const libc = libraryOfLs(/libc\.so/);
    const result = run(root, bin, path.basename(libc));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^runtime-packages\\.sh: no package owns \\S*${path.basename(libc).replace(/\./g, '\\.')}`, 'm'),
    );
  });
});
