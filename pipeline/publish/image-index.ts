import { createHash } from 'node:crypto';
import type { Manifest } from '../ports.js';

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const INDEX_TYPES: ReadonlySet<string> = new Set([OCI_INDEX, DOCKER_MANIFEST_LIST]);

/** One entry of an image index: a platform's manifest. */
export interface IndexEntry {
  platform: string;
  manifest: Manifest;
}

function platformObject(platform: string): { architecture: string; os: string; variant?: string } {
  const [os = '', architecture = '', variant] = platform.split('/');
  return { architecture, os, ...(variant ? { variant } : {}) };
}

/**
 * The image index naming every platform's manifest, in the given order. Docker image manifests go
 * in a Docker manifest list, OCI ones in an OCI image index: the kind each client expects to find
 * together (a registry may refuse a list that mixes them).
 */
export function makeIndex(entries: readonly IndexEntry[]): Manifest {
  const oci = entries.every((entry) => entry.manifest.mediaType === OCI_MANIFEST);
  const mediaType = oci ? OCI_INDEX : DOCKER_MANIFEST_LIST;
  const document = {
    schemaVersion: 2,
    mediaType,
    manifests: entries.map((entry) => ({
      mediaType: entry.manifest.mediaType,
      digest: entry.manifest.digest,
      size: entry.manifest.bytes.length,
      platform: platformObject(entry.platform),
    })),
  };
  const bytes = Buffer.from(JSON.stringify(document, null, 2));
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, mediaType, bytes };
}

/** The platforms and manifest digests an index names, in its order; undefined when it is not an index. */
export function indexEntries(manifest: Manifest): { platform: string; digest: string }[] | undefined {
  if (!INDEX_TYPES.has(manifest.mediaType)) return undefined;
  const parsed = JSON.parse(manifest.bytes.toString('utf8')) as {
    manifests?: { digest?: string; platform?: { os?: string; architecture?: string; variant?: string } }[];
  };
  return (parsed.manifests ?? []).map((entry) => ({
    platform: [entry.platform?.os ?? '', entry.platform?.architecture ?? '', entry.platform?.variant]
      .filter((part) => part !== undefined && part !== '')
      .join('/'),
    digest: entry.digest ?? '',
  }));
}
