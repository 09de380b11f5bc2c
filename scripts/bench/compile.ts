// The compile scenario of `npm run bench`: a real compile (Debian's gcc and ccache, in a toolchain
// image made offline by scripts/toolchain-image.sh) of a generated C project of BENCH_COMPILE_UNITS
// translation units per branch. Each commit's source is an image (`git archive | docker import`),
// the stand-in for the production Dockerfile's `git fetch` at GIT_SHA: build containers reach no
// network here. The baseline builds the same Dockerfile without the cache mount, with ccache off.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { buildWithBuildKit } from '../../pipeline/adapters/buildkit-build.js';
import { dockerFromEnv } from '../../pipeline/adapters/docker-client.js';

export const SOURCE_REPO = 'mesos-pipeline-bench/src';
export const COMPILE_IMAGES = { base: 'bench-cbase', child: 'bench-capp' };
const LABEL = 'io.mesos-pipeline.bench-family';

/** The toolchain image's tag, made on first use (idempotent, content-keyed). */
export function toolchainImage(root: string): string {
  const result = spawnSync('bash', [path.join(root, 'scripts/toolchain-image.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error('scripts/toolchain-image.sh failed');
  return result.stdout.trim().split('\n').pop() ?? '';
}

/** Unit `index` of branch `branchIndex`: a fifth of the units differ from branch to branch. */
function unitSource(index: number, branchIndex: number, extra: string): string {
  const salt = index % 5 === branchIndex % 5 ? branchIndex * 7 + 1 : 0;
  // Enough arithmetic that -O2 has something to do: a few tens of milliseconds per unit.
  const lines = [`#include "units.h"`, `static int table_${index}[64];`];
  for (let f = 0; f < 12; f += 1)
    lines.push(
      `static int f${index}_${f}(int x) { int s = ${salt + f}; for (int i = 0; i < 64; i++) { ` +
        `table_${index}[i] = (x ^ i) * ${index + f + 3} + s; s += table_${index}[(i * 7) % 64] % ` +
        `${f + 5}; } return s; }`,
    );
  lines.push(
    `int unit_${index}(int x) { return ` +
      `${Array.from({ length: 12 }, (_, f) => `f${index}_${f}(x + ${f})`).join(' ^ ')}${extra}; }`,
  );
  return `${lines.join('\n')}\n`;
}

/** The project's files for one branch (and, for "one moved", one changed unit). */
export function projectFiles(units: number, branchIndex: number, changedUnit?: number): Record<string, string> {
  const files: Record<string, string> = {};
  const objects = Array.from({ length: units }, (_, i) => `obj/unit_${i}.o`);
  files['Makefile'] = [
    `OBJS = obj/main.o ${objects.join(' ')}`,
    'prog: $(OBJS)',
    '\t$(CC) -static -o $@ $(OBJS)',
    'obj/%.o: %.c units.h',
    '\t@mkdir -p obj',
    '\t$(CC) -O2 -c -o $@ $<',
    '',
  ].join('\n');
  files['units.h'] = `${Array.from({ length: units }, (_, i) => `int unit_${i}(int);`).join('\n')}\n`;
  files['main.c'] = [
    '#include <stdio.h>',
    '#include "units.h"',
    `int main(void) { int s = 0; ${Array.from({ length: units }, (_, i) => `s ^= unit_${i}(${i});`).join(' ')} ` +
      'printf("bench-prog %d\\n", s); return 0; }',
    '',
  ].join('\n');
  for (let i = 0; i < units; i += 1) files[`unit_${i}.c`] = unitSource(i, branchIndex, i === changedUnit ? ' + 1' : '');
  return files;
}

/** Writes the project of a branch into a repository work tree (under src/). */
export function writeProject(repoDir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(repoDir, 'src', name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

/** The compile family: a base that compiles the project and a small child FROM it. */
export function writeCompileFamily(dir: string, toolchain: string, busybox: string, cacheId: string): void {
  const base = path.join(dir, COMPILE_IMAGES.base);
  const child = path.join(dir, COMPILE_IMAGES.child);
  mkdirSync(base, { recursive: true });
  mkdirSync(child, { recursive: true });
  writeFileSync(
    path.join(dir, 'images.json'),
    `${JSON.stringify(
      {
        images: [
          { name: COMPILE_IMAGES.base, context: COMPILE_IMAGES.base },
          { name: COMPILE_IMAGES.child, context: COMPILE_IMAGES.child, base: COMPILE_IMAGES.base },
        ],
      },
      null,
      2,
    )}\n`,
  );
  // The label first in every stage: the classic builder's intermediate images carry it too, so
  // the bench's cleanup leaves the baseline no build cache between nights.
  const compile = (cached: boolean): string =>
    [
      '# written by scripts/bench/compile.ts',
      'ARG GIT_SHA',
      `FROM ${SOURCE_REPO}:\${GIT_SHA} AS source`,
      `FROM ${toolchain} AS build`,
      `LABEL ${LABEL}=compile`,
      'ARG CCACHE_DISABLE',
      `ENV CCACHE_DIR=/var/cache/ccache CCACHE_MAXSIZE=2G${cached ? '' : ' CCACHE_DISABLE=1'}`,
      'COPY --from=source /src /src',
      `RUN ${cached ? `--mount=type=cache,id=${cacheId},target=/var/cache/ccache,sharing=shared ` : ''}` +
        'make -C /src -j"$(nproc)" CC="ccache gcc"',
      `FROM ${busybox}`,
      `LABEL ${LABEL}=compile`,
      'COPY --from=build /src/prog /usr/local/bin/bench-prog',
      '',
    ].join('\n');
  writeFileSync(path.join(base, 'Dockerfile'), compile(true));
  writeFileSync(path.join(base, 'Dockerfile.baseline'), compile(false));
  writeFileSync(
    path.join(base, 'smoke.json'),
    `${JSON.stringify(
      {
        commandTests: [
          { name: 'the compiled program runs', command: ['bench-prog'], expectedOutput: ['^bench-prog -?\\d+$'] },
        ],
      },
      null,
      2,
    )}\n`,
  );
  const app = ['ARG BASE_IMAGE', 'FROM ${BASE_IMAGE}', 'RUN echo app > /app', ''].join('\n');
  writeFileSync(path.join(child, 'Dockerfile'), app);
  writeFileSync(path.join(child, 'Dockerfile.baseline'), app);
  writeFileSync(
    path.join(child, 'smoke.json'),
    `${JSON.stringify(
      {
        commandTests: [{ name: 'the base program is there', command: ['bench-prog'], expectedOutput: ['^bench-prog'] }],
      },
      null,
      2,
    )}\n`,
  );
}

/** Makes the source image of a commit: `git archive` of src/ at that commit, imported. */
export function importSource(repoDir: string, sha: string, docker: string): void {
  const archive = spawnSync('git', ['archive', '--format=tar', sha, 'src'], { cwd: repoDir, maxBuffer: 1 << 28 });
  if (archive.status !== 0) throw new Error(`git archive ${sha} failed`);
  const imported = spawnSync(docker, ['import', '-', `${SOURCE_REPO}:${sha}`], { input: archive.stdout });
  if (imported.status !== 0) throw new Error(`docker import of ${sha} failed: ${imported.stderr.toString()}`);
}

/** ccache's counters in the bench's cache mount: zeroed before a night, read after it. */
export async function ccacheStats(
  toolchain: string,
  cacheId: string,
  action: 'zero' | 'read',
): Promise<Record<string, number>> {
  const { docker } = dockerFromEnv(process.env);
  const dockerfile = [
    `FROM ${toolchain}`,
    'ARG NONCE',
    `RUN --mount=type=cache,id=${cacheId},target=/var/cache/ccache,sharing=shared echo $NONCE >/dev/null ` +
      `&& CCACHE_DIR=/var/cache/ccache ccache ${action === 'zero' ? '--zero-stats' : '--print-stats'}`,
    '',
  ].join('\n');
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, dockerfile);
  pack.finalize();
  const lines: string[] = [];
  const id = await buildWithBuildKit(
    docker,
    {
      context: Readable.from(pack),
      dockerfile: 'Dockerfile',
      buildArgs: { NONCE: randomBytes(8).toString('hex') },
    },
    (line) => lines.push(line.text),
    undefined,
  );
  await docker
    .getImage(id)
    .remove()
    .catch(() => undefined);
  const counters: Record<string, number> = {};
  for (const line of lines) {
    const match = /^#\d+ ([a-z_]+)\t(\d+)$/.exec(line);
    if (match) counters[match[1] as string] = Number(match[2]);
  }
  return counters;
}

/** Hits and misses of a night, from ccache's counters. */
export function hitsOf(counters: Record<string, number>): { hits: number; misses: number } {
  return {
    hits: (counters.direct_cache_hit ?? 0) + (counters.preprocessed_cache_hit ?? 0),
    misses: counters.cache_miss ?? 0,
  };
}
