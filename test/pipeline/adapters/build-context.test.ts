import { chmodSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { extract } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import {
  contextDigest,
  contextFilter,
  labelledDockerfile,
  listContextFiles,
  packContext,
} from '../../../pipeline/adapters/build-context.js';
import { writeTree } from '../../helpers/temp-files.js';

const tree = (dockerignore?: string): string =>
  writeTree({
    Dockerfile: 'FROM x\n',
    ...(dockerignore === undefined ? {} : { '.dockerignore': dockerignore }),
    'app/main.sh': 'echo hi\n',
    'app/notes.md': '# notes\n',
    '.git/HEAD': 'ref: refs/heads/master\n',
    '.env': 'REGISTRY_PASSWORD=hunter2\n',
    'big/keep.txt': 'keep\n',
    'big/drop.bin': 'drop\n',
  });

async function tarNames(context: string): Promise<string[]> {
  const names: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const tar = extract();
    tar.on('entry', (header, stream, next) => {
      if (header.type === 'file') names.push(header.name);
      expect([header.uid, header.gid]).toEqual([0, 0]);
      stream.on('end', next);
      stream.resume();
    });
    tar.on('finish', resolve);
    tar.on('error', reject);
    packContext(context, contextFilterSync).pipe(tar);
  });
  return names.sort();
}
let contextFilterSync: Awaited<ReturnType<typeof contextFilter>>;

describe('build context', () => {
  it.each([
    [
      'no .dockerignore',
      undefined,
      ['.env', '.git/HEAD', 'Dockerfile', 'app/main.sh', 'app/notes.md', 'big/drop.bin', 'big/keep.txt'],
    ],
    [
      '.git and .env ignored',
      '.git\n.env\n',
      ['.dockerignore', 'Dockerfile', 'app/main.sh', 'app/notes.md', 'big/drop.bin', 'big/keep.txt'],
    ],
    [
      'globs and comments',
      '# secrets\n.env\n.git\n**/*.md\n',
      ['.dockerignore', 'Dockerfile', 'app/main.sh', 'big/drop.bin', 'big/keep.txt'],
    ],
    [
      'an exception inside an ignored folder',
      '.git\n.env\nbig\n!big/keep.txt\n',
      ['.dockerignore', 'Dockerfile', 'app/main.sh', 'app/notes.md', 'big/keep.txt'],
    ],
    ['everything but the Dockerfile', '*\n', ['.dockerignore', 'Dockerfile']],
  ])('with %s the engine gets exactly what .dockerignore allows', async (_, ignore, expected) => {
    const context = tree(ignore);
    contextFilterSync = await contextFilter(context);
    expect(await listContextFiles(context, contextFilterSync)).toEqual(expected);
    expect(await tarNames(context)).toEqual(expected);
  });

  it('digests content and the executable bit, not timestamps', async () => {
    const context = tree('.git\n');
    const first = await contextDigest(context);
    utimesSync(path.join(context, 'app/main.sh'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    expect(await contextDigest(context)).toBe(first);
    chmodSync(path.join(context, 'app/main.sh'), 0o755);
    const executable = await contextDigest(context);
    expect(executable).not.toBe(first);
    writeFileSync(path.join(context, 'app/main.sh'), 'echo changed\n');
    expect(await contextDigest(context)).not.toBe(executable);
    // An ignored file does not count.
    writeFileSync(path.join(context, '.git/HEAD'), 'something else\n');
    const ignored = await contextDigest(context);
    writeFileSync(path.join(context, '.git/HEAD'), 'and again\n');
    expect(await contextDigest(context)).toBe(ignored);
  });
});

describe('contextDigest', () => {
  /** A context with a file, a script, a folder of one file and a symlink to it, and an ignored folder. */
  const context = (): string => {
    const dir = writeTree({
      Dockerfile: 'FROM x\n',
      '.dockerignore': 'ignored\n',
      'conf/app.conf': 'port=8080\n',
      'run.sh': 'echo hi\n',
      'ignored/x': 'x\n',
    });
    chmodSync(path.join(dir, 'conf/app.conf'), 0o644);
    chmodSync(path.join(dir, 'run.sh'), 0o755);
    symlinkSync('conf/app.conf', path.join(dir, 'app.conf'));
    return dir;
  };
  const at = (dir: string, name: string): string => path.join(dir, name);

  it.each<[string, (dir: string) => void]>([
    ['a mode-only change (chmod 600)', (dir) => chmodSync(at(dir, 'conf/app.conf'), 0o600)],
    ['a group-write bit', (dir) => chmodSync(at(dir, 'run.sh'), 0o775)],
    ['a setuid bit', (dir) => chmodSync(at(dir, 'run.sh'), 0o4755)],
    ["a folder's mode", (dir) => chmodSync(at(dir, 'conf'), 0o700)],
    [
      "a symlink's target, though it names the same file",
      (dir) => {
        rmSync(at(dir, 'app.conf'));
        symlinkSync('./conf/app.conf', at(dir, 'app.conf'));
      },
    ],
    ['a new empty folder', (dir) => mkdirSync(at(dir, 'empty'))],
    ['an empty folder inside a folder', (dir) => mkdirSync(at(dir, 'conf/empty.d'))],
    ['a symlink to a folder', (dir) => symlinkSync('conf', at(dir, 'conf.d'))],
    ['a dangling symlink', (dir) => symlinkSync('nowhere', at(dir, 'dangling'))],
  ])('changes with %s', async (_, change) => {
    const dir = context();
    const before = await contextDigest(dir);
    change(dir);
    expect(await contextDigest(dir)).not.toBe(before);
  });

  it.each<[string, (dir: string) => void]>([
    ['timestamps', (dir) => utimesSync(at(dir, 'conf/app.conf'), new Date(2001, 1, 1), new Date(2001, 1, 1))],
    ['an ignored empty folder', (dir) => mkdirSync(at(dir, 'ignored/empty'))],
    ['an ignored symlink', (dir) => symlinkSync('/etc', at(dir, 'ignored/etc'))],
  ])('stays with %s', async (_, change) => {
    const dir = context();
    const before = await contextDigest(dir);
    change(dir);
    expect(await contextDigest(dir)).toBe(before);
  });

  it('reads a symlink to a folder as a symlink, as the engine gets it', async () => {
    const dir = context();
    symlinkSync('conf', at(dir, 'conf.d'));
    const digest = await contextDigest(dir);
    // What the folder holds is not the symlink's: a change there counts once, under conf/.
    writeFileSync(at(dir, 'conf/app.conf'), 'port=9090\n');
    expect(await contextDigest(dir)).not.toBe(digest);
    const names: { name: string; type: string | null | undefined }[] = [];
    await new Promise<void>((resolve, reject) => {
      const tar = extract();
      tar.on('entry', (header, stream, next) => {
        names.push({ name: header.name, type: header.type });
        stream.on('end', next);
        stream.resume();
      });
      tar.on('finish', resolve);
      tar.on('error', reject);
      void contextFilter(dir).then((filter) => packContext(dir, filter).pipe(tar));
    });
    expect(names).toContainEqual({ name: 'conf.d', type: 'symlink' });
  });
});

describe('labelledDockerfile', () => {
  it.each([
    [
      'FROM x\nRUN y\n',
      { a: 'b' },
      'FROM x\nLABEL io.mesos-pipeline.cache="1"\nRUN y\n\n# Added by mesos-pipeline: the run\'s labels, ' +
        'in one step.\nLABEL "a"="b"\n',
    ],
    [
      'FROM x',
      { 'k.1': 'v$HOME "q" \\' },
      'FROM x\nLABEL io.mesos-pipeline.cache="1"\n\n# Added by mesos-pipeline: the run\'s labels, in one ' +
        'step.\nLABEL "k.1"="v\\$HOME \\"q\\" \\\\"\n',
    ],
    ['FROM x\n', {}, 'FROM x\nLABEL io.mesos-pipeline.cache="1"\n'],
    // Every stage is marked, right after its FROM, however the FROM is written.
    [
      'ARG B=x\nFROM ${B} AS build\nRUN make\nFROM \\\n  scratch\nCOPY --from=build /a /a\n',
      {},
      'ARG B=x\nFROM ${B} AS build\nLABEL io.mesos-pipeline.cache="1"\nRUN make\nFROM \\\n  ' +
        'scratch\nLABEL io.mesos-pipeline.cache="1"\nCOPY --from=build /a /a\n',
    ],
    ['# escape=`\nFROM x\n', { a: 'b' }, undefined],
    ['# syntax=docker/dockerfile:1\n#  Escape = `\nFROM x\n', { a: 'b' }, undefined],
  ])('%j with %o', (dockerfile, labels, expected) => {
    expect(labelledDockerfile(dockerfile, labels)).toBe(expected);
  });
});
