import type Docker from 'dockerode';
import { statusOf, WorkError } from '../errors.js';
import { CACHE_LABEL, RUN_LABEL } from '../publish/inputs.js';
import { engineErrorText } from './docker-engine.js';

export interface RemovedContainer {
  id: string;
  name: string;
}

export interface RemovedImage {
  id: string;
  tags: string[];
}

export interface PrunedCache {
  /** Images the engine deleted (the old leaves and the parents only they used). */
  deleted: number;
  reclaimedBytes: number;
}

/**
 * What `mesos-pipeline clean` does to an engine, on dockerode: remove what one run made, prune the
 * pipeline's old build cache, and say how much disk the images use.
 */
export class DockerEngineCleanup {
  private readonly docker: Docker;
  private readonly address: string;

  constructor(docker: Docker, address: string) {
    this.docker = docker;
    this.address = address;
  }

  private failed(what: string, error: unknown): WorkError {
    return new WorkError('clean', `${what} on ${this.address}: ${engineErrorText(error)}`, { cause: error });
  }

  /** Every container labelled with the run, running or not, with its anonymous volumes. */
  async removeRunContainers(runId: string): Promise<RemovedContainer[]> {
    const found = await this.docker
      .listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } })
      .catch((error: unknown) => {
        throw this.failed('cannot list containers', error);
      });
    const removed: RemovedContainer[] = [];
    for (const container of found) {
      try {
        await this.docker.getContainer(container.Id).remove({ force: true, v: true });
      } catch (error) {
        if (statusOf(error) !== 404) throw this.failed(`cannot remove container ${container.Id.slice(0, 12)}`, error);
      }
      removed.push({ id: container.Id, name: (container.Names[0] ?? '').replace(/^\//, '') });
    }
    return removed;
  }

  /**
   * Every image labelled with the run (what its builds produced), newest first so a child goes
   * before its base. Their parents stay: those are the build cache, pruned by age.
   */
  async removeRunImages(runId: string): Promise<{ removed: RemovedImage[]; kept: string[] }> {
    const found = await this.docker
      .listImages({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } })
      .catch((error: unknown) => {
        throw this.failed('cannot list images', error);
      });
    const removed: RemovedImage[] = [];
    const kept: string[] = [];
    for (const image of [...found].sort((a, b) => b.Created - a.Created)) {
      const tags = (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
      try {
        await this.docker.getImage(image.Id).remove({ force: true, noprune: true });
        removed.push({ id: image.Id, tags });
      } catch (error) {
        if (statusOf(error) === 404) continue;
        // In use by a container of another run, or a base another image still stands on.
        if (statusOf(error) === 409) kept.push(`${image.Id.slice(0, 19)}: ${engineErrorText(error)}`);
        else throw this.failed(`cannot remove image ${image.Id.slice(0, 19)}`, error);
      }
    }
    return { removed, kept };
  }

  /**
   * Unused images carrying the pipeline's cache label and created before `before`: the engine
   * deletes each such leaf with the parents no other image uses, so a cached step some younger
   * build still stands on stays.
   */
  async pruneCache(before: Date): Promise<PrunedCache> {
    try {
      const result = await this.docker.pruneImages({
        filters: {
          dangling: ['false'],
          label: [CACHE_LABEL],
          until: [String(Math.floor(before.getTime() / 1000))],
        },
      });
      return {
        deleted: (result.ImagesDeleted ?? []).filter((entry) => entry.Deleted !== undefined).length,
        reclaimedBytes: result.SpaceReclaimed ?? 0,
      };
    } catch (error) {
      throw this.failed('cannot prune the build cache', error);
    }
  }

  /** Bytes the engine's images take on disk (`docker system df`), or undefined if it will not say. */
  async imagesBytes(): Promise<number | undefined> {
    try {
      const df = (await this.docker.df()) as { LayersSize?: number };
      return df.LayersSize;
    } catch {
      return undefined;
    }
  }
}
