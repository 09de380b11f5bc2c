import dockerignore from '@balena/dockerignore';
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, type Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { DockerfileParser } from 'dockerfile-ast';
import tar from 'tar-fs';
import { CACHE_LABEL } from '../publish/inputs.js';

/** Decides which paths of a context the engine gets: Docker's .dockerignore rules. */
export interface ContextFilter {
  /** True when `relative` (a path inside the context, `/`-separated) is sent. */
  includes(relative: string, isDirectory: boolean): boolean;
}

// The engine always needs these two, whatever .dockerignore says (Docker's own CLI does the same).
const ALWAYS = new Set(['Dockerfile', '.dockerignore']);

export async function contextFilter(context: string): Promise<ContextFilter> {
  const text = await readFile(path.join(context, '.dockerignore'), 'utf8').catch(() => '');
  const patterns = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  // The package is CommonJS with a `default` property; under NodeNext that is what types see.
  const rules = dockerignore.default({ ignorecase: false }).add(patterns);
  // With an exception (`!keep/this`) inside an ignored folder, the folder must still be walked.
  const hasExceptions = patterns.some((pattern) => pattern.startsWith('!'));
  return {
    includes(relative, isDirectory) {
      if (ALWAYS.has(relative)) return true;
      if (!rules.ignores(relative)) return true;
      return isDirectory && hasExceptions;
    },
  };
}

/** The name of the Dockerfile the pipeline adds to a context: the image's own, plus its labels. */
export const LABELLED_DOCKERFILE = '.mesos-pipeline.Dockerfile';

function quote(text: string): string {
  // Inside double quotes a Dockerfile expands $VAR and honours backslash escapes.
  return `"${text.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

/**
 * The image's Dockerfile with each stage marked as pipeline build cache (markStages) and one LABEL
 * instruction at the end carrying every label, or undefined when the Dockerfile changes its
 * escape character (then the labels go through the API, one step each, and stages are unmarked).
 * The classic builder turns each API label into a step and a commit of its own (about 80 ms each);
 * one instruction is one step.
 */
export function labelledDockerfile(dockerfile: string, labels: Record<string, string>): string | undefined {
  if (
    /^#\s*escape\s*=/im.test(
      dockerfile
        .split(/\r?\n/)
        .filter((line) => /^#/.test(line.trim()) || line.trim() === '')
        .join('\n'),
    )
  )
    return undefined;
  const marked = markStages(dockerfile);
  const entries = Object.entries(labels);
  if (entries.length === 0) return marked;
  const label = entries.map(([key, value]) => `${quote(key)}=${quote(value)}`).join(' \\\n      ');
  return `${marked.replace(/\s*$/, '')}\n\n# Added by mesos-pipeline: the run's labels, in one step.\nLABEL ${label}\n`;
}

/**
 * Adds `LABEL io.mesos-pipeline.cache="1"` right after each FROM. The classic builder keeps every
 * step's image as the build cache; with the label on each stage, `clean` can prune exactly the
 * pipeline's old cache and nothing else on the engine. A constant label is cached like any step.
 */
function markStages(dockerfile: string): string {
  const lines = dockerfile.split('\n');
  const ends = DockerfileParser.parse(dockerfile)
    .getFROMs()
    .map((from) => from.getRange().end.line)
    .sort((a, b) => b - a);
  for (const line of ends) lines.splice(line + 1, 0, `LABEL ${CACHE_LABEL}="1"`);
  return lines.join('\n');
}

/**
 * The context as a tar stream, produced while it is read: files are streamed from disk one at a
 * time, so memory stays flat however large the context is. Owners are zeroed like the docker CLI.
 * `extra` adds one generated file at the end (the labelled Dockerfile).
 */
export function packContext(
  context: string,
  filter: ContextFilter,
  extra?: { name: string; content: string },
): Readable {
  const pack = tar.pack(context, {
    ...(extra
      ? {
          finalize: false,
          finish: (stream) => {
            stream.entry({ name: extra.name, mode: 0o644, uid: 0, gid: 0 }, extra.content);
            stream.finalize();
          },
        }
      : {}),
    ignore: (name: string) => {
      const relative = path.relative(context, name).split(path.sep).join('/');
      if (relative === '') return false;
      // lstat, as tar-fs packs: a symlink (to a folder, or dangling) is sent as a symlink.
      return !filter.includes(relative, lstatSync(name).isDirectory());
    },
    map: (header) => ({ ...header, uid: 0, gid: 0, uname: '', gname: '' }),
  });
  // tar-fs 3 yields a streamx stream; hand the engine client a plain Node stream.
  const out = new PassThrough();
  (pack as unknown as NodeJS.ReadableStream).pipe(out);
  pack.on('error', (error: Error) => out.destroy(error));
  return out;
}

/** Every file (and symlink) the engine would get, relative and sorted. */
export async function listContextFiles(context: string, filter: ContextFilter): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(path.join(context, dir), { withFileTypes: true })) {
      const relative = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (!filter.includes(relative, entry.isDirectory())) continue;
      if (entry.isDirectory()) await walk(relative);
      else files.push(relative);
    }
  };
  await walk('');
  return files.filter((file) => filter.includes(file, false)).sort();
}

async function fileDigest(file: string): Promise<string> {
  const content = createHash('sha256');
  for await (const chunk of createReadStream(file)) content.update(chunk as Buffer);
  return content.digest('hex');
}

/** Permission bits with setuid, setgid and sticky: what a COPY gives the file in the image. */
const modeOf = (info: Stats): string => (info.mode & 0o7777).toString(8);

/**
 * A digest of what a build sends, entry by entry as packContext puts them into the tar: every
 * folder (empty ones too) with its mode, every file with its mode and content, every symlink with
 * its target. Symlinks are never followed (the engine gets a symlink, not what it points at), so a
 * symlink to a folder or to nothing is one entry like any other. Timestamps and owners do not count
 * (owners are zeroed in the tar). Streams every file: one read of the context, no memory beyond a
 * buffer.
 */
export async function contextDigest(context: string): Promise<string> {
  const filter = await contextFilter(context);
  const entries: [string, string][] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(path.join(context, dir), { withFileTypes: true })) {
      const relative = dir === '' ? entry.name : `${dir}/${entry.name}`;
      const full = path.join(context, relative);
      // Dirent types come from lstat: a symlink to a folder is a symlink here.
      if (!filter.includes(relative, entry.isDirectory())) continue;
      const info = await lstat(full);
      if (info.isDirectory()) {
        entries.push([relative, `dir\0${modeOf(info)}\0`]);
        await walk(relative);
      } else if (info.isSymbolicLink()) entries.push([relative, `link\0\0${await readlink(full)}`]);
      else if (info.isFile()) entries.push([relative, `file\0${modeOf(info)}\0${await fileDigest(full)}`]);
      else entries.push([relative, `other\0${modeOf(info)}\0`]);
    }
  };
  await walk('');
  const total = createHash('sha256');
  // Code-unit order, not the locale's: the same context gives the same digest on every machine.
  for (const [relative, line] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    total.update(`${relative}\0${line}\n`);
  return `sha256:${total.digest('hex')}`;
}
