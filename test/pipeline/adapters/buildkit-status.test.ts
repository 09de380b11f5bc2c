import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILDKIT_TRACE, BuildKitProgress, type ProgressLine } from '../../../pipeline/adapters/buildkit-status.js';
import { fixtures } from '../../helpers/paths.js';

// Streams recorded from this machine's engine (dockerd 20.10, BuildKit through POST /build?version=2).
function replay(name: string): { lines: ProgressLine[]; progress: BuildKitProgress; rest: unknown[] } {
  const progress = new BuildKitProgress();
  const lines: ProgressLine[] = [];
  const rest: unknown[] = [];
  for (const text of readFileSync(path.join(fixtures, 'streams', name), 'utf8').split('\n')) {
    if (text.trim() === '') continue;
    const message = JSON.parse(text) as { id?: string; aux?: unknown };
    if (message.id === BUILDKIT_TRACE && typeof message.aux === 'string') lines.push(...progress.push(message.aux));
    else rest.push(message);
  }
  lines.push(...progress.flush());
  return { lines, progress, rest };
}

describe('BuildKitProgress on recorded BuildKit output', () => {
  it('names each step once, marks Dockerfile steps, and splits output into whole lines', () => {
    const { lines, progress } = replay('buildkit-ok.ndjson');
    const steps = lines.filter((line) => line.step).map((line) => line.text.replace(/^#\d+ /, ''));
    expect(steps).toEqual([
      '[1/3] FROM docker.io/mesos-pipeline/busybox:static',
      '[2/3] RUN echo prepared > /prepared',
      '[3/3] RUN printf "compiling a.c\\ncompiling b.c\\n" && printf "warning: no newline" >&2',
      'exporting to image',
    ]);
    const texts = lines.map((line) => line.text);
    // Two lines of stdout, and the stderr text without a newline still comes out at the end.
    expect(texts.filter((text) => /^#\d+ compiling [ab]\.c$/.test(text))).toHaveLength(2);
    expect(texts.some((text) => /^#\d+ warning: no newline$/.test(text))).toBe(true);
    expect(texts.some((text) => text.startsWith('#') && text.includes('[internal] load remote build context'))).toBe(
      true,
    );
    expect(lines.find((line) => line.text.includes('[internal]'))?.step).toBe(false);
    expect(progress.errors()).toEqual([]);
  });

  it('reports a cached step and the failing step with the daemon own message', () => {
    const { lines, progress, rest } = replay('buildkit-fail.ndjson');
    const texts = lines.map((line) => line.text);
    const prepared = texts.find((text) => text.endsWith('RUN echo prepared > /prepared'))?.split(' ')[0];
    expect(texts).toContain(`${prepared} CACHED`);
    expect(texts.some((text) => /^#\d+ make: \*\*\* \[all\] Error 2$/.test(text))).toBe(true);
    const message = 'executor failed running [/bin/sh -c echo "make: *** [all] Error 2" && exit 2]: exit code: 2';
    expect(progress.errors()).toEqual([message]);
    expect(texts.filter((text) => text.endsWith(`ERROR: ${message}`))).toHaveLength(1);
    expect(rest).toContainEqual({ errorDetail: { message }, error: message });
  });

  it('refuses a payload that is not a StatusResponse', () => {
    expect(() => new BuildKitProgress().push(Buffer.from('not protobuf at all').toString('base64'))).toThrow();
  });
});
