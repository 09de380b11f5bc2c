import { describe, expect, it } from 'vitest';
import {
  formatImageRef,
  formatRegistryTarget,
  imageRef,
  parseImageRef,
  parseRegistryTarget,
  FETCH_BAD_PORTS,
  tagProblem,
} from '../../tags/reference.js';

describe('parseRegistryTarget', () => {
  it.each([
    ['127.0.0.1:5000/mesos', { host: '127.0.0.1:5000', namespace: 'mesos' }],
    ['localhost:5001/test/ns', { host: 'localhost:5001', namespace: 'test/ns' }],
    ['docker.io/mesos', { host: 'docker.io', namespace: 'mesos' }],
    ['ghcr.io/apache/mesos-images', { host: 'ghcr.io', namespace: 'apache/mesos-images' }],
    ['[::1]:5000/mesos', { host: '[::1]:5000', namespace: 'mesos' }],
    ['127.0.0.1:2/mesos', { host: '127.0.0.1:2', namespace: 'mesos' }],
    ['127.0.0.1:65535/mesos', { host: '127.0.0.1:65535', namespace: 'mesos' }],
    ['localhost/mesos', { host: 'localhost', namespace: 'mesos' }],
    ['my-registry.example.org/a.b_c/d__e-f', { host: 'my-registry.example.org', namespace: 'a.b_c/d__e-f' }],
    // Docker's grammar joins components with any number of dashes.
    ['docker.io/a--b/c---d', { host: 'docker.io', namespace: 'a--b/c---d' }],
  ])('%s', (text, target) => {
    expect(parseRegistryTarget(text)).toEqual(target);
    expect(parseRegistryTarget(formatRegistryTarget(target))).toEqual(target);
  });

  it.each([
    ['127.0.0.1:5000', /a namespace is missing/],
    ['127.0.0.1:5000/', /a namespace is missing/],
    ['127.0.0.1:5000/Mesos', /"Mesos" is not a valid repository path component/],
    ['bad_host.io:5000/mesos', /"bad_host.io:5000" is not a valid registry host/],
    ['', /a namespace is missing/],
    ['docker.io/mesos//x', /not a valid repository path component/],
    ['docker.io/-mesos', /"-mesos" is not a valid repository path component/],
    ['127.0.0.1:0/mesos', /port 0 is not a TCP port \(1 to 65535\)/],
    ['127.0.0.1:65536/mesos', /port 65536 is not a TCP port/],
    ['localhost', /"localhost": a namespace is missing/],
    ['ghcr.io', /"ghcr.io": a namespace is missing/],
    ['-bad.io/mesos', /"-bad.io" is not a valid registry host/],
    // The host is required: a bare namespace would silently mean Docker Hub.
    ['mesos', /"mesos": the registry host is missing; .* for example docker\.io\/mesos$/],
    ['org/team', /"org\/team": the registry host is missing; .* for example docker\.io\/org\/team$/],
    ['Bad', /"Bad": the registry host is missing; .* for example docker\.io\/mesos$/],
    // A dot or colon after the first slash does not make the first component a host.
    ['mesos/team.x', /"mesos\/team\.x": the registry host is missing; .* for example docker\.io\/mesos\/team\.x$/],
    ['/a.b', /"\/a\.b": the registry host is missing/],
    // An empty path component is named by the whole path, not as "".
    [
      'docker.io/mesos//x',
      /^--registry "docker\.io\/mesos\/\/x": "mesos\/\/x" is not a valid repository path component: /,
    ],
    // The whole rule, so the user can fix the name in one go.
    [
      'docker.io/Mesos',
      /"Mesos" is not a valid repository path component: use lower-case letters, digits and single \. _ or - between them/,
    ],
  ])('rejects %s', (text, message) => {
    expect(() => parseRegistryTarget(text)).toThrow(message);
    expect(() => parseRegistryTarget(text)).toThrow(/expected HOST\[:PORT\]\/NAMESPACE/);
  });
});

describe("registry ports that Node's fetch will not use", () => {
  it.each(['127.0.0.1:1/mesos', '127.0.0.1:6000/mesos', 'localhost:10080/mesos', 'registry.example:5060/x'])(
    'refuses %s up front',
    (text) => {
      const port = /:(\d+)\//.exec(text)?.[1] as string;
      expect(() => parseRegistryTarget(text)).toThrow(
        `port ${port} is one that Node's fetch refuses to use ("bad port"); use another port, for example 5000`,
      );
    },
  );

  /** What fetch says about a port of 127.0.0.1: its own refusal, or anything else (nothing listens). */
  const fetchSays = async (port: number): Promise<string> => {
    try {
      await fetch(`http://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(2000) });
      return 'answered';
    } catch (error) {
      return String((error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : error);
    }
  };

  it("the list is fetch's own: every port on it is refused by fetch, its neighbours are not", async () => {
    const listed = [...FETCH_BAD_PORTS].filter((port) => port > 0);
    expect(listed.length).toBeGreaterThan(70);
    for (const port of listed) expect(`${port}: ${await fetchSays(port)}`).toBe(`${port}: bad port`);
    for (const port of [2, 5000, 5999, 6001, 10081])
      expect(`${port}: ${await fetchSays(port)}`).not.toBe(`${port}: bad port`);
  });
});

describe('parseImageRef', () => {
  it.each([
    [
      '127.0.0.1:5000/mesos/mesos-centos:1.7.x-2026-11-27',
      { host: '127.0.0.1:5000', repository: 'mesos/mesos-centos', tag: '1.7.x-2026-11-27' },
    ],
    ['docker.io/mesos/mesos-mini:master', { host: 'docker.io', repository: 'mesos/mesos-mini', tag: 'master' }],
    ['localhost:5000/a/b/c:1.11.0', { host: 'localhost:5000', repository: 'a/b/c', tag: '1.11.0' }],
  ])('%s round-trips', (text, ref) => {
    expect(parseImageRef(text)).toEqual(ref);
    expect(formatImageRef(parseImageRef(text))).toBe(text);
  });

  it.each([
    ['mesos/mesos-mini:master', /is not a registry host/],
    ['docker.io/mesos-mini:master', /namespace is missing/],
    ['docker.io/mesos/mesos-mini', /REGISTRY\/NAMESPACE\/NAME:TAG/],
    ['docker.io/mesos/Mesos:master', /not a valid repository path component/],
    ['docker.io/mesos/mini:-x', /not a valid Docker tag/],
    [`docker.io/mesos/${'a'.repeat(250)}:x`, /longer than 255/],
    ['/mesos/mini:master', /REGISTRY\/NAMESPACE\/NAME:TAG/],
    ['docker.io/mesos/mini:ma:ster', /"mini:ma" is not a valid repository path component/],
    ['127.0.0.1:5000/mesos/mini', /"127.0.0.1:5000\/mesos\/mini": expected REGISTRY/],
    // No slash, or nothing before the first: the form is wrong, whatever the rest looks like.
    ['mesos-mini:master', /^image reference "mesos-mini:master": expected REGISTRY\/NAMESPACE\/NAME:TAG/],
    ['/mesos/mini:master', /^image reference "\/mesos\/mini:master": expected REGISTRY\/NAMESPACE\/NAME:TAG/],
  ])('rejects %s', (text, message) => {
    expect(() => parseImageRef(text)).toThrow(message);
  });

  it('accepts a name of exactly 255 characters', () => {
    const name = `docker.io/mesos/${'a'.repeat(255 - 'docker.io/mesos/'.length)}`;
    expect(parseImageRef(`${name}:x`).repository).toHaveLength(255 - 'docker.io/'.length);
  });

  it('builds references from a target, a name and a tag', () => {
    expect(
      formatImageRef(imageRef({ host: '127.0.0.1:5000', namespace: 'mesos' }, 'mesos-mini', '1.10.x-2026-11-27')),
    ).toBe('127.0.0.1:5000/mesos/mesos-mini:1.10.x-2026-11-27');
  });
});

describe('tagProblem', () => {
  it.each(['master', '1.11.x', '1.11.x-2026-11-27', '_x', 'A.b-c_d', 'a'.repeat(128)])('accepts %s', (tag) => {
    expect(tagProblem(tag)).toBeUndefined();
  });
  it.each(['', '-x', '.x', 'a/b', 'a:b', 'a+b', 'a'.repeat(129), 'ä'])('rejects %j', (tag) => {
    expect(tagProblem(tag)).toMatch(/not a valid Docker tag/);
  });
});
