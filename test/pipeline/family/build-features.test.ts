import { describe, expect, it, vi } from 'vitest';
import { buildFeatures, type parseDockerfile } from '../../../pipeline/family/build-features.js';
import { dockerfileProblems } from '../../../pipeline/family/dockerfile-rules.js';

describe('buildFeatures', () => {
  it.each([
    ['FROM a\nRUN make\nCOPY --chown=1:1 x /x\n', false, []],
    ['# syntax=docker/dockerfile:1\nFROM a\n', true, ['a # syntax directive']],
    // Only the syntax directive picks a frontend; the classic builder reads the escape directive itself.
    ['# escape=`\nFROM a\n', false, []],
    ['FROM a\nRUN --mount=type=cache,target=/c make\n', true, ['RUN --mount']],
    ['FROM a\nRUN --network=none make\n', true, ['RUN --network']],
    ['FROM a\nCOPY --link x /x\n', true, ['COPY --link']],
    ['FROM a\nADD --chmod=644 x /x\n', true, ['ADD --chmod']],
    // Every flag of BUILDKIT_FLAGS, each on its own: the classic builder refuses any one of them.
    ['FROM a\nRUN --security=insecure make\n', true, ['RUN --security']],
    ['FROM a\nCOPY --chmod=644 x /x\n', true, ['COPY --chmod']],
    ['FROM a\nCOPY --parents x/y /x\n', true, ['COPY --parents']],
    ['FROM a\nCOPY --exclude=*.md . /x\n', true, ['COPY --exclude']],
    ['FROM a\nADD --link x /x\n', true, ['ADD --link']],
    ['FROM a\nADD --checksum=sha256:0123 https://example.invalid/x.tgz /x\n', true, ['ADD --checksum']],
    ['FROM a\nADD --keep-git-dir=true https://example.invalid/x.git /x\n', true, ['ADD --keep-git-dir']],
    ['FROM a\nADD --exclude=*.md . /x\n', true, ['ADD --exclude']],
  ])('%j needs BuildKit: %s', (text, buildKit, reasons) => {
    expect(buildFeatures(text)).toMatchObject({ buildKit, reasons });
  });

  it('finds cache mounts with their stage, id (default: the target) and target', () => {
    const text = [
      'FROM a AS build',
      'ARG CCACHE_DISABLE',
      'RUN --mount=type=cache,id=mesos-ccache,target=/var/cache/ccache,sharing=shared \\',
      '    --mount=type=bind,source=x,target=/y make',
      'FROM b',
      'ARG OTHER=1',
      'RUN --mount=type=cache,target=/root/.m2 mvn package',
    ].join('\n');
    const features = buildFeatures(text);
    expect(features.cacheMounts).toEqual([
      { stage: 0, id: 'mesos-ccache', target: '/var/cache/ccache' },
      { stage: 1, id: '/root/.m2', target: '/root/.m2' },
    ]);
    expect(features.stageArgs).toEqual([['CCACHE_DISABLE'], ['OTHER']]);
  });

  // BuildKit takes dst and destination for target; the cache is the same whichever is written.
  it.each(['target', 'dst', 'destination'])('reads the mount point of a cache from %s', (key) => {
    expect(buildFeatures(`FROM a\nRUN --mount=type=cache,${key}=/c make\n`).cacheMounts).toEqual([
      { stage: 0, id: '/c', target: '/c' },
    ]);
  });

  it('takes only RUN --mount as a mount: a COPY --exclude pattern that reads like mount options is no cache', () => {
    const features = buildFeatures('FROM a\nCOPY --exclude=type=cache . /src\n');
    expect(features).toMatchObject({ buildKit: true, reasons: ['COPY --exclude'], cacheMounts: [] });
  });
});

describe('parseDockerfile', () => {
  // The cache is module state that every test of this file fills: each test loads the module afresh,
  // so it starts from an empty cache and counts exactly what it parsed.
  async function freshParse(): Promise<typeof parseDockerfile> {
    vi.resetModules();
    return (await import('../../../pipeline/family/build-features.js')).parseDockerfile;
  }
  const others = (count: number): string[] => Array.from({ length: count }, (_, i) => `FROM a\nRUN echo ${i}\n`);

  it('parses a text once: the rules that read it after another text get the very same parse', async () => {
    const parse = await freshParse();
    const first = parse('FROM first\n');
    parse('FROM second\n');
    expect(parse('FROM first\n')).toBe(first);
  });

  // Bounded, so a long-lived process that reads many families does not keep every parse it made.
  it.each([
    [31, true],
    [32, false],
  ])('keeps 32 texts: after %i other texts the first is still shared: %s', async (count, shared) => {
    const parse = await freshParse();
    const first = parse('FROM first\n');
    for (const text of others(count)) parse(text);
    const again = parse('FROM first\n');
    expect(again === first).toBe(shared);
    // Dropped or not, the text parses to the same instructions.
    expect(again.getInstructions().map((instruction) => instruction.getTextContent())).toEqual(['FROM first']);
  });
});

describe('the compile cache rule', () => {
  it('wants ARG CCACHE_DISABLE in every stage that mounts a cache, so --no-compile-cache reaches ccache', () => {
    const missing = 'FROM a\nRUN --mount=type=cache,target=/c make\n';
    expect(dockerfileProblems(missing, false)).toEqual([
      'stage 1 mounts a compile cache (RUN --mount=type=cache), so it must declare `ARG CCACHE_DISABLE` ' +
        '(--no-compile-cache sets it to 1)',
    ]);
    expect(dockerfileProblems('FROM a\nARG CCACHE_DISABLE\nRUN --mount=type=cache,target=/c make\n', false)).toEqual(
      [],
    );
    // Declared in another stage does not count: ARGs are per stage.
    expect(
      dockerfileProblems('FROM a\nARG CCACHE_DISABLE\nFROM b\nRUN --mount=type=cache,target=/c make\n', false),
    ).toHaveLength(1);
  });
});
