import { describe, expect, it } from 'vitest';
import { dockerfileProblems } from '../../../pipeline/family/dockerfile-rules.js';

// The pipeline's own rules for the Dockerfile of an image (the compile cache rule is tested with
// the build features it reads, in build-features.test.ts). test/dockerfiles/ holds the production
// Dockerfiles' rules.

const UNDECLARED = 'the image has a base, so the Dockerfile must declare `ARG BASE_IMAGE` before its first FROM';
const NOT_FROM_BASE =
  'the image has a base, so the Dockerfile must build FROM ${BASE_IMAGE} (the base image just built in the same run)';

describe('dockerfileProblems', () => {
  it.each([
    ['no FROM', 'ARG X\nRUN true\n', false, ['has no FROM instruction']],
    ['no FROM, for a child too', 'ARG BASE_IMAGE\n', true, ['has no FROM instruction']],
    ['an image without a base', 'FROM scratch\n', false, []],
    ['a child', 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n', true, []],
    ['a child naming $BASE_IMAGE without braces', 'ARG BASE_IMAGE\nFROM $BASE_IMAGE\n', true, []],
    // Multi-stage: one stage on the base is enough; the final stage may build on that stage.
    ['a child with a stage on its base', 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS build\nFROM build\n', true, []],
    ['a child that declares another ARG only', 'ARG OTHER\nFROM ${BASE_IMAGE}\n', true, [UNDECLARED]],
    ['a child that declares BASE_IMAGE after FROM', 'FROM ${BASE_IMAGE}\nARG BASE_IMAGE\n', true, [UNDECLARED]],
    // Anything around ${BASE_IMAGE} names some other image than the one this run just built.
    ['a child on a mirror of its base', 'ARG BASE_IMAGE\nFROM mirror.example/${BASE_IMAGE}\n', true, [NOT_FROM_BASE]],
    ['a child on a variant of its base', 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}-debug\n', true, [NOT_FROM_BASE]],
    // A child is held to every rule an image without a base is, and to its own as well.
    [
      'a child with a cache but no ARG CCACHE_DISABLE',
      'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN --mount=type=cache,target=/c make\n',
      true,
      [
        'stage 1 mounts a compile cache (RUN --mount=type=cache), so it must declare `ARG CCACHE_DISABLE` ' +
          '(--no-compile-cache sets it to 1)',
      ],
    ],
  ])('%s: %j', (_, text, hasBase, expected) => {
    expect(dockerfileProblems(text, hasBase)).toEqual(expected);
  });
});
