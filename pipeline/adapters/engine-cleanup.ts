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
 * Images ordered so every child comes before its parent: deepest in the parent chain first. Creation
 * times alone cannot say it: they have one-second steps, a fast build makes several images in one
 * second, and the engine lists ties in no fixed order, so a parent tried first was kept (409).
 */
export function childrenFirst<T extends { Id: string; ParentId?: string; Created: number }>(images: T[]): T[] {
  const byId = new Map(images.map((image) => [image.Id, image]));
  const depths = new Map<string, number>();
  const depthOf = (image: T): number => {
    const known = depths.get(image.Id);
    if (known !== undefined) return known;
    depths.set(image.Id, 0); // a cycle cannot happen; this only guards against one
    const parent = image.ParentId ? byId.get(image.ParentId) : undefined;
    const depth = parent ? depthOf(parent) + 1 : 0;
    depths.set(image.Id, depth);
    return depth;
  };
  return [...images].sort((a, b) => depthOf(b) - depthOf(a) || b.Created - a.Created);
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
   * Every image labelled with the run (what its builds produced), each child before its parent.
   * Their parents outside the run stay: those are the build cache, pruned by age.
   */
  async removeRunImages(runId: string): Promise<{ removed: RemovedImage[]; kept: string[] }> {
    const found = await this.docker
      .listImages({ all: true, filters: { label: [`${RUN_LABEL}=${runId}`] } })
      .catch((error: unknown) => {
        throw this.failed('cannot list images', error);
      });
    const removed: RemovedImage[] = [];
    const kept: string[] = [];
    for (const image of childrenFirst(found)) {
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

  /**
   * BuildKit's layer cache (records of type `regular`) that no build used for `olderThanMs`. Cache
   * mounts (`exec.cachemount`: the compile cache, id `mesos-centos-ccache`, which the nightly reuses
   * and ccache caps itself) are kept, as are records an image still uses (`shared`), internal and
   * frontend records, and build contexts (`source.local`). Docker 20.10 turns each filter into
   * `key==value` (no `type!=exec.cachemount`), hence the positive `type=regular`. Undefined when the
   * engine has no BuildKit (no /build/prune).
   */
  async pruneBuildKitCache(olderThanMs: number): Promise<PrunedCache | undefined> {
    const filters = { until: [`${Math.max(1, Math.floor(olderThanMs / 1000))}s`], type: ['regular'] };
    try {
      // dockerode's pruneBuilder (5.0.1) drops its options, and an unfiltered prune would take the
      // compile cache with it: dial the endpoint with the filters ourselves.
      const result = await new Promise<{ CachesDeleted?: string[] | null; SpaceReclaimed?: number }>(
        (resolve, reject) =>
          this.docker.modem.dial(
            {
              path: '/build/prune?',
              method: 'POST',
              options: { filters },
              statusCodes: { 200: true, 404: 'no BuildKit', 500: 'server error' },
            },
            (error, data) => (error ? reject(error) : resolve(data ?? {})),
          ),
      );
      return { deleted: (result.CachesDeleted ?? []).length, reclaimedBytes: result.SpaceReclaimed ?? 0 };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.failed('cannot prune the BuildKit build cache', error);
    }
  }

  /**
   * Bytes the engine's images and BuildKit's build cache take on disk (`docker system df`); a field
   * is undefined if the engine will not say.
   */
  async diskUsage(): Promise<{ images?: number; buildCache?: number }> {
    try {
      const df = (await this.docker.df()) as { LayersSize?: number; BuildCache?: { Size?: number }[] | null };
      const buildCache = df.BuildCache?.reduce((sum, record) => sum + (record.Size ?? 0), 0);
      return { images: df.LayersSize, buildCache: buildCache ?? (df.BuildCache === null ? 0 : undefined) };
    } catch {
      return {};
    }
  }
}
