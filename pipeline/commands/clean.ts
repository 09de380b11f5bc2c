import { dockerFromEnv } from '../adapters/docker-client.js';
import { DockerEngineCleanup } from '../adapters/engine-cleanup.js';
import { parseDuration } from '../settings/duration.js';
import { stderrLogger, type Runtime } from '../settings/runtime.js';
import { InputError } from '../errors.js';

export interface CleanFlags {
  run?: string;
  cacheMaxAge: string;
  verbose?: boolean;
}

function gigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

/**
 * `mesos-pipeline clean`: after a publish job on a long-lived runner, remove what the job made
 * (the containers and images labelled with its run id), prune the pipeline's classic-builder cache
 * older than --cache-max-age and BuildKit's layer cache unused for that long (its cache mounts, the
 * compile cache, stay), so the runner's disk does not fill night after night.
 */
export async function runClean(flags: CleanFlags, runtime: Runtime): Promise<number> {
  const log = stderrLogger(runtime, { verbose: flags.verbose ?? false });
  const maxAgeMs = parseDuration('--cache-max-age', flags.cacheMaxAge);
  const runId = flags.run ?? runtime.env.MESOS_PIPELINE_RUN_ID;
  if (runId !== undefined && runId.trim() === '')
    throw new InputError(
      `${flags.run === undefined ? 'MESOS_PIPELINE_RUN_ID' : '--run'} is empty; give the run id publish used`,
    );
  const { docker, address } = dockerFromEnv(runtime.env);
  const engine = new DockerEngineCleanup(docker, address);
  const out = (line: string): void => void runtime.stdout.write(`${line}\n`);

  const before = await engine.diskUsage();
  if (runId === undefined) {
    log.info('no run id (--run or MESOS_PIPELINE_RUN_ID): no run containers or images to remove');
  } else {
    for (const container of await engine.removeRunContainers(runId))
      out(`removed container ${container.id.slice(0, 12)} ${container.name}`);
    const images = await engine.removeRunImages(runId);
    for (const image of images.removed)
      out(`removed image ${image.id.slice(0, 19)} ${image.tags.join(' ') || '(untagged)'}`);
    for (const kept of images.kept) log.warn(`kept image ${kept}`);
  }
  // The engine takes no date before 1970; an age that long keeps everything.
  const cutoff = new Date(Math.max(0, runtime.clock.now().getTime() - maxAgeMs));
  const pruned = await engine.pruneCache(cutoff);
  out(
    `pruned ${pruned.deleted} images of build cache created before ${cutoff.toISOString()} (older than ` +
      `${flags.cacheMaxAge}), ${gigabytes(pruned.reclaimedBytes)} reclaimed`,
  );
  const buildKit = await engine.pruneBuildKitCache(maxAgeMs);
  if (buildKit === undefined) log.info(`engine ${address} has no BuildKit build cache to prune`);
  else
    out(
      `pruned ${buildKit.deleted} records of BuildKit build cache unused for ${flags.cacheMaxAge}, ` +
        `${gigabytes(buildKit.reclaimedBytes)} reclaimed; cache mounts (the compile cache) kept`,
    );
  const after = await engine.diskUsage();
  if (before.images !== undefined && after.images !== undefined) {
    const cacheNote =
      before.buildCache !== undefined && after.buildCache !== undefined
        ? `, BuildKit build cache ${gigabytes(after.buildCache)} (${gigabytes(before.buildCache)} before)`
        : '';
    log.info(
      `engine ${address}: images take ${gigabytes(after.images)} (${gigabytes(before.images)} before ` +
        `cleaning)${cacheNote}`,
    );
  }
  return 0;
}
