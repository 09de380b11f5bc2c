import { InputError } from '../pipeline/errors.js';

// Docker's reference grammar (distribution/reference): path components are lower-case
// alphanumerics joined by `.`, `_`, `__` or dashes; a domain is a host name or [IPv6] with an
// optional port; a tag is a word character then up to 127 of [\w.-].
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]{1,5})?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MAX_NAME = 255;

/** Where images are published: a registry host and a namespace inside it. */
export interface RegistryTarget {
  /** `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  host: string;
  /** `mesos`, or deeper: `org/team`. */
  namespace: string;
}

/** A fully qualified image reference: `host/namespace/name:tag`. */
export interface ImageRef {
  host: string;
  /** `namespace/name`, the repository path inside the registry. */
  repository: string;
  tag: string;
}

export const DOCKER_HUB = 'docker.io';

export function tagProblem(tag: string): string | undefined {
  if (TAG.test(tag)) return undefined;
  return `tag "${tag}" is not a valid Docker tag: it must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`;
}

function looksLikeHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

function pathProblem(path: string): string | undefined {
  const parts = path.split('/');
  const bad = parts.find((part) => !PATH_COMPONENT.test(part));
  if (bad !== undefined) {
    return (
      `"${bad === '' ? path : bad}" is not a valid repository path component: use lower-case letters, ` +
      `digits and single . _ or - between them`
    );
  }
  return undefined;
}

/**
 * The ports Node's fetch refuses to connect to (the Fetch standard's "bad ports": `fetch failed`,
 * cause `bad port`). The registry is read over fetch, so a registry on one of them cannot work.
 */
export const FETCH_BAD_PORTS: ReadonlySet<number> = new Set([
  0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110,
  111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532,
  540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061,
  6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/**
 * Parses `--registry`: `HOST[:PORT]/NAMESPACE` (`127.0.0.1:5000/mesos`, `ghcr.io/org/team`,
 * `docker.io/mesos`). The host is required, as the docs say: a bare `mesos` is refused with the
 * suggestion `docker.io/mesos` rather than read as Docker Hub, so a typo cannot publish there.
 */
export function parseRegistryTarget(text: string): RegistryTarget {
  const hint = 'expected HOST[:PORT]/NAMESPACE, for example 127.0.0.1:5000/mesos or docker.io/mesos';
  const slash = text.indexOf('/');
  const first = slash < 0 ? text : text.slice(0, slash);
  let host: string;
  let namespace: string;
  if (slash > 0 && looksLikeHost(first)) {
    host = first;
    namespace = text.slice(slash + 1);
    if (!DOMAIN.test(host))
      throw new InputError(`--registry "${text}": "${host}" is not a valid registry host; ${hint}`);
    const port = /:(\d+)$/.exec(host)?.[1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535))
      throw new InputError(`--registry "${text}": port ${port} is not a TCP port (1 to 65535); ${hint}`);
    if (port !== undefined && FETCH_BAD_PORTS.has(Number(port)))
      throw new InputError(
        `--registry "${text}": port ${port} is one that Node's fetch refuses to use ("bad port"); use another port, ` +
          `for example 5000`,
      );
  } else if ((slash < 0 && looksLikeHost(text)) || text === '') {
    throw new InputError(`--registry "${text}": a namespace is missing; ${hint}`);
  } else {
    const example = pathProblem(text) === undefined ? `${DOCKER_HUB}/${text}` : `${DOCKER_HUB}/mesos`;
    throw new InputError(
      `--registry "${text}": the registry host is missing; expected HOST[:PORT]/NAMESPACE, for example ${example}`,
    );
  }
  if (namespace === '') throw new InputError(`--registry "${text}": a namespace is missing; ${hint}`);
  const problem = pathProblem(namespace);
  if (problem) throw new InputError(`--registry "${text}": ${problem}; ${hint}`);
  return { host, namespace };
}

export function formatRegistryTarget(target: RegistryTarget): string {
  return `${target.host}/${target.namespace}`;
}

/** Parses a fully qualified `host/namespace/name:tag`; anything less is an error. */
export function parseImageRef(text: string): ImageRef {
  const hint = 'expected REGISTRY/NAMESPACE/NAME:TAG, for example 127.0.0.1:5000/mesos/mesos-mini:master';
  const colon = text.lastIndexOf(':');
  const slash = text.indexOf('/');
  if (slash <= 0 || colon < text.lastIndexOf('/')) throw new InputError(`image reference "${text}": ${hint}`);
  const host = text.slice(0, slash);
  const repository = text.slice(slash + 1, colon);
  const tag = text.slice(colon + 1);
  if (!looksLikeHost(host) || !DOMAIN.test(host))
    throw new InputError(`image reference "${text}": "${host}" is not a registry host; ${hint}`);
  if (!repository.includes('/')) throw new InputError(`image reference "${text}": the namespace is missing; ${hint}`);
  const problem = pathProblem(repository) ?? tagProblem(tag);
  if (problem) throw new InputError(`image reference "${text}": ${problem}`);
  if (`${host}/${repository}`.length > MAX_NAME)
    throw new InputError(`image reference "${text}": the name is longer than ${MAX_NAME} characters`);
  return { host, repository, tag };
}

export function formatImageRef(ref: ImageRef): string {
  return `${ref.host}/${ref.repository}:${ref.tag}`;
}

/** The reference of image `name` with `tag` in `target`, validated: never silently rewritten. */
export function imageRef(target: RegistryTarget, name: string, tag: string): ImageRef {
  return parseImageRef(`${target.host}/${target.namespace}/${name}:${tag}`);
}
