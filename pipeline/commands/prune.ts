import { resolveCredentials } from '../adapters/credentials.js';
import { DockerHubTagDeleter } from '../adapters/docker-hub-tags.js';
import { RegistryHttp } from '../adapters/registry-http.js';
import {
  registryRetryPolicy,
  resolveRegistryScope,
  wholeNumberOption,
  type RegistryFlags,
} from '../settings/registry-options.js';
import { stderrLogger, type Runtime } from '../settings/runtime.js';
import { InputError, RegistryError, WorkError } from '../errors.js';
import { loadFamily } from '../family/family.js';
import type { Credentials, Registry } from '../ports.js';
import { pruneRepository, type PruneTarget, type PrunedTag } from '../registry/prune.js';
import { RegistryApiTagDeleter } from '../registry/tag-deleter.js';
import type { RetryContext } from '../retry.js';
import { DOCKER_HUB } from '../../tags/index.js';

export interface PruneFlags extends RegistryFlags {
  keepDays: string;
  dryRun?: boolean;
}

/**
 * How tags go on this host: Docker Hub deletes tags on its own API (it refuses manifest deletes);
 * every other registry through the Registry API, which deletes manifests.
 */
export function chooseTagDeleter(
  host: string,
  registry: Registry,
  credentials: Credentials | undefined,
  retry: RetryContext,
  dryRun: boolean,
): PruneTarget {
  if (host === DOCKER_HUB) {
    if (!credentials && !dryRun)
      throw new InputError(
        'pruning Docker Hub needs credentials: set REGISTRY_USERNAME and REGISTRY_PASSWORD (a personal access token ' +
          'with delete scope), or use --dry-run',
      );
    return {
      registry,
      deleter: credentials ? new DockerHubTagDeleter({ credentials, retry }) : undefined,
      deletesManifests: false,
    };
  }
  return { registry, deleter: new RegistryApiTagDeleter(registry), deletesManifests: true };
}

function describe(tag: PrunedTag, host: string, dryRun: boolean): string {
  const how = tag.withManifest ? 'with its manifest' : tag.shared ? 'tag only: kept tags share its image' : 'tag only';
  return `${dryRun ? 'would delete' : 'deleted'} ${host}/${tag.repository}:${tag.tag} (${tag.digest}, ${how})`;
}

/** `mesos-pipeline prune`: deletes dated tags older than --keep-days. Returns the exit code. */
export async function runPrune(flags: PruneFlags, runtime: Runtime): Promise<number> {
  const log = stderrLogger(runtime, { verbose: flags.verbose ?? false });
  const keepDays = wholeNumberOption('--keep-days', flags.keepDays, 1, 36_500);
  const scope = resolveRegistryScope(flags, runtime);
  const policy = registryRetryPolicy(runtime.env);
  const now = runtime.clock.now();
  const dryRun = flags.dryRun ?? false;
  const family = await loadFamily(scope.imagesDir);
  const credentials = await resolveCredentials(scope.registry.host, runtime.env, {
    clock: runtime.clock,
    signal: runtime.signal,
  });
  runtime.redactor.add(credentials?.password, credentials?.username);
  const retry: RetryContext = { policy, log, clock: runtime.clock, signal: runtime.signal };
  const registry = new RegistryHttp({ host: scope.registry.host, credentials, retry });
  const target = chooseTagDeleter(scope.registry.host, registry, credentials, retry, dryRun);

  let total = 0;
  let kept = 0;
  let cutoff = '';
  for (const image of family.images) {
    const repository = `${scope.registry.namespace}/${image.name}`;
    try {
      const result = await pruneRepository(repository, target, {
        keepDays,
        now,
        branches: scope.branches,
        dryRun,
        onTag: (tag) => runtime.stdout.write(`${describe(tag, scope.registry.host, dryRun)}\n`),
      });
      total += result.pruned.length;
      kept += result.kept;
      cutoff = result.cutoff;
    } catch (error) {
      if (error instanceof RegistryError && error.status === 405) {
        throw new WorkError(
          'prune',
          `${error.message}; the registry refuses deletes: enable them (REGISTRY_STORAGE_DELETE_ENABLED=true)`,
          { cause: error },
        );
      }
      throw error;
    }
  }
  const scopeText = scope.branches.length > 0 ? ` of ${scope.branches.join(', ')}` : '';
  log.info(
    `${dryRun ? 'would delete' : 'deleted'} ${total} dated ${total === 1 ? 'tag' : 'tags'}${scopeText} from before ` +
      `${cutoff} (keeping ${keepDays} days) in ${family.images.length} repositories of ` +
      `${scope.registry.host}/${scope.registry.namespace}; ${kept} tags kept`,
  );
  return 0;
}
