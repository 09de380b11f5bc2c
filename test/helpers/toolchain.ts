import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type Docker from 'dockerode';
import { createHash } from 'node:crypto';
import tar from 'tar-stream';
import { repoRoot } from './paths.js';

/**
 * The offline C toolchain image (gcc, make, ccache from Debian), made by scripts/toolchain-image.sh
 * on first use and reused by every later run: the script is idempotent and waits for a build
 * already under way. Returns its tag.
 */
export function toolchainImage(dockerHost: string): string {
  const out = execFileSync('bash', [path.join(repoRoot, 'scripts/toolchain-image.sh')], {
    env: { ...process.env, DOCKER_HOST: dockerHost },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop() ?? '';
}

/** ccache's counters printed by `ccache --print-stats` in a build step's output (`#7 cache_miss\t3`). */
export function ccacheCounters(lines: readonly string[]): Record<string, number> {
  const counters: Record<string, number> = {};
  for (const line of lines) {
    const match = /^(?:#\d+ )?([a-z_]+)\t(\d+)$/.exec(line);
    if (match) counters[match[1] as string] = Number(match[2]);
  }
  return counters;
}

/**
 * Every file of an image's filesystem as `path type mode size sha256 link`, sorted: what two
 * images must share to be the same in content (times are left out).
 */
export async function imageFiles(docker: Docker, imageId: string): Promise<string[]> {
  const container = await docker.createContainer({ Image: imageId, Cmd: ['true'] });
  try {
    const stream = await container.export();
    const entries: string[] = [];
    const extract = tar.extract();
    await new Promise<void>((resolve, reject) => {
      extract.on('entry', (header, body, next) => {
        const hash = createHash('sha256');
        body.on('data', (chunk: unknown) => hash.update(chunk as Buffer));
        body.on('end', () => {
          entries.push(
            [
              header.name,
              header.type,
              (header.mode ?? 0).toString(8),
              header.size,
              hash.digest('hex'),
              header.linkname ?? '',
            ].join(' '),
          );
          next();
        });
        body.resume();
      });
      extract.on('finish', resolve);
      extract.on('error', reject);
      stream.pipe(extract);
    });
    return entries.sort();
  } finally {
    await container.remove({ force: true });
  }
}
