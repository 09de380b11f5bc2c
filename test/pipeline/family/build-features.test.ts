import { describe, expect, it } from 'vitest';
import { buildFeatures } from '../../../pipeline/family/build-features.js';
import { dockerfileProblems } from '../../../pipeline/family/dockerfile-rules.js';

describe('buildFeatures', () => {
  it.each([
    ['FROM a\nRUN make\nCOPY --chown=1:1 x /x\n', false, []],
    ['# syntax=docker/dockerfile:1\nFROM a\n', true, ['a # syntax directive']],
    ['FROM a\nRUN --mount=type=cache,target=/c make\n', true, ['RUN --mount']],
    ['FROM a\nRUN --network=none make\n', true, ['RUN --network']],
    ['FROM a\nCOPY --link x /x\n', true, ['COPY --link']],
    ['FROM a\nADD --chmod=644 x /x\n', true, ['ADD --chmod']],
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
