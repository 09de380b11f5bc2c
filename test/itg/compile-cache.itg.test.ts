import { beforeAll, describe, expect, it } from 'vitest';
import { DockerImageEngine } from '../../pipeline/adapters/docker-engine.js';
import { dockerOf, readStack, uniqueId } from '../helpers/stack.js';
import { writeTree } from '../helpers/temp-files.js';
import { ccacheCounters, imageFiles, toolchainImage } from '../helpers/toolchain.js';

// A real compile (Debian's gcc and ccache, offline) through the pipeline's BuildKit path: the
// compile cache survives between builds, a one-file change recompiles one file, and what comes
// out is the same, file for file, as a build without the cache.
const stack = readStack();
const docker = dockerOf(stack);
const engine = new DockerImageEngine(docker, stack.dockerHost);
let toolchain = '';

beforeAll(() => {
  toolchain = toolchainImage(stack.dockerHost);
}, 900_000);

const UNITS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];

function project(cacheId: string, changed: string | undefined): Record<string, string> {
  const files: Record<string, string> = {
    // The compile step prints ccache's counters for this build only (zeroed first; the cache id is
    // this test's own, so no other build counts in them). Nothing of it lands in the image.
    Dockerfile: [
      'ARG TOOLCHAIN',
      `FROM \${TOOLCHAIN} AS build`,
      'ARG CCACHE_DISABLE',
      'ENV CCACHE_DIR=/var/cache/ccache CCACHE_MAXSIZE=50M',
      'COPY src /src',
      `RUN --mount=type=cache,id=${cacheId},target=/var/cache/ccache,sharing=shared \\`,
      '    ccache --zero-stats >/dev/null && make -C /src -j2 CC="ccache gcc" && ccache --print-stats',
      `FROM ${stack.baseImage}`,
      'COPY --from=build /src/prog /usr/local/bin/prog',
      'COPY --from=build /src/obj/ /usr/local/lib/prog-objects/',
    ].join('\n'),
    'src/Makefile': [
      `OBJS = ${[...UNITS, 'main'].map((unit) => `obj/${unit}.o`).join(' ')}`,
      'prog: $(OBJS)',
      '\t$(CC) -static -o $@ $(OBJS)',
      'obj/%.o: %.c units.h',
      '\t@mkdir -p obj',
      '\t$(CC) -O2 -c -o $@ $<',
    ].join('\n'),
    'src/units.h': UNITS.map((unit) => `int ${unit}(int);`).join('\n'),
    'src/main.c': [
      '#include <stdio.h>',
      '#include "units.h"',
      `int main(void) { printf("%d\\n", ${UNITS.map((unit) => `${unit}(1)`).join(' + ')}); return 0; }`,
    ].join('\n'),
  };
  for (const [index, unit] of UNITS.entries())
    files[`src/${unit}.c`] = `int ${unit}(int x) { return x * ${index + 2}${unit === changed ? ' + 100' : ''}; }\n`;
  return files;
}

async function build(
  files: Record<string, string>,
  compileCache = true,
): Promise<{ id: string; counters: Record<string, number> }> {
  const lines: string[] = [];
  const id = await engine.build(
    { context: writeTree(files), buildArgs: { TOOLCHAIN: toolchain }, labels: {}, compileCache },
    (line) => lines.push(line),
  );
  return { id, counters: ccacheCounters(lines) };
}

const misses = (counters: Record<string, number>): number => counters.cache_miss ?? NaN;
const hits = (counters: Record<string, number>): number =>
  (counters.direct_cache_hit ?? 0) + (counters.preprocessed_cache_hit ?? 0);

describe('the compile cache on a real compile', () => {
  it('recompiles only the changed file, and the image is the same as a build without the cache', async () => {
    const cacheId = `itg-ccache-${uniqueId()}`;
    const ids: string[] = [];
    try {
      const first = await build(project(cacheId, undefined));
      ids.push(first.id);
      expect([misses(first.counters), hits(first.counters)]).toEqual([6, 0]);

      // One file changed: the build step runs again in a fresh container, and ccache serves the
      // other five objects from the cache that outlived the first build.
      const changed = project(cacheId, 'gamma');
      const second = await build(changed);
      ids.push(second.id);
      expect([misses(second.counters), hits(second.counters)]).toEqual([1, 5]);

      // The same inputs with the cache bypassed (--no-compile-cache): every file compiled anew,
      // nothing read from or written to the cache, and the very same files in the image.
      const clean = await build(changed, false);
      ids.push(clean.id);
      expect([misses(clean.counters), hits(clean.counters)]).toEqual([0, 0]);
      const [cachedFiles, cleanFiles] = [await imageFiles(docker, second.id), await imageFiles(docker, clean.id)];
      expect(cachedFiles.some((line) => line.startsWith('usr/local/lib/prog-objects/gamma.o '))).toBe(true);
      expect(cachedFiles).toEqual(cleanFiles);
      // ...and the change is really in there: the first image differs.
      expect(await imageFiles(docker, first.id)).not.toEqual(cleanFiles);
    } finally {
      for (const id of ids) await engine.removeImage(id).catch(() => undefined);
    }
  });
});
