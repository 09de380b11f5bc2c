import { getEventListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  JsonLineParser,
  messageError,
  readEngineStream,
  type EngineMessage,
} from '../../../pipeline/adapters/json-stream.js';
import { fixtures } from '../../helpers/paths.js';

// Streams recorded from the real engine (test/fixtures/streams), replayed in odd chunk sizes.
const recorded = (name: string): string => readFileSync(path.join(fixtures, 'streams', name), 'utf8');

function chunked(text: string, size: number): Readable {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
  return Readable.from(chunks);
}

async function errorsOf(name: string, size: number): Promise<{ errors: string[]; messages: EngineMessage[] }> {
  const seen: EngineMessage[] = [];
  const messages = await readEngineStream(chunked(recorded(name), size), (m) => seen.push(m));
  expect(seen).toEqual(messages);
  return { errors: messages.map(messageError).filter((e): e is string => e !== undefined), messages };
}

describe('readEngineStream on recorded engine output', () => {
  it.each([1, 7, 4096])('a successful build has no error and reports the image ID (chunks of %d)', async (size) => {
    const { errors, messages } = await errorsOf('build-ok.ndjson', size);
    expect(errors).toEqual([]);
    expect(messages.some((m) => m.aux?.ID?.startsWith('sha256:'))).toBe(true);
  });

  it.each([
    ['build-fail.ndjson', "The command '/bin/sh -c echo about to fail >&2; exit 3' returned a non-zero code: 3"],
    [
      'build-copy.ndjson',
      'COPY failed: file not found in build context or excluded by .dockerignore: stat missing.txt: file ' +
        'does not exist',
    ],
    ['push-unauthorized.ndjson', 'no basic auth credentials'],
  ])('%s fails with the daemon message', async (name, message) => {
    expect((await errorsOf(name, 13)).errors).toEqual([message]);
  });

  it('a push reports its digest', async () => {
    const { messages } = await errorsOf('push-ok.ndjson', 5);
    expect(messages.find((m) => m.aux?.Digest)?.aux?.Digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  // The engine need not end its last line with a newline, and that line is often the verdict.
  it.each<[string, string, EngineMessage]>([
    [
      'an error',
      '{"stream":"Step 1/2"}\n{"errorDetail":{"message":"boom"},"error":"boom"}',
      { errorDetail: { message: 'boom' }, error: 'boom' },
    ],
    ['the image ID', '{"stream":"Step 1/2"}\n{"aux":{"ID":"sha256:abc"}}', { aux: { ID: 'sha256:abc' } }],
    ['a line that is not JSON', '{"status":"Pushing"}\r\nplain words at the end', { stream: 'plain words at the end' }],
  ])('keeps a final line without a newline: %s', async (_, text, last) => {
    for (const size of [1, 5, text.length]) {
      const seen: EngineMessage[] = [];
      const messages = await readEngineStream(chunked(text, size), (m) => seen.push(m));
      expect(messages).toHaveLength(2);
      expect(messages[1]).toEqual(last);
      expect(seen).toEqual(messages);
    }
  });

  it('rejects when the stream breaks', async () => {
    const broken = new Readable({ read() {} });
    const reading = readEngineStream(broken, () => undefined);
    broken.push('{"stream":"Step 1/2"}\n');
    broken.destroy(new Error('socket hang up'));
    await expect(reading).rejects.toThrow('socket hang up');
  });

  it('rejects with the signal reason when aborted', async () => {
    const endless = new Readable({ read() {} });
    const controller = new AbortController();
    const reading = readEngineStream(endless, () => undefined, controller.signal);
    controller.abort(new Error('interrupted by SIGINT'));
    await expect(reading).rejects.toThrow('interrupted by SIGINT');
  });
});

describe('readEngineStream and the run signal', () => {
  it('rejects at once, without reading, when the run was already stopped', async () => {
    const stream = Readable.from(['{"stream":"Step 1/2"}\n']);
    const controller = new AbortController();
    controller.abort(new Error('interrupted by SIGTERM'));
    const seen: EngineMessage[] = [];
    await expect(readEngineStream(stream, (m) => seen.push(m), controller.signal)).rejects.toThrow(
      'interrupted by SIGTERM',
    );
    expect(seen).toEqual([]);
    expect(stream.destroyed).toBe(true);
  });

  it('rejects with "aborted" when the reason is not an error', async () => {
    const controller = new AbortController();
    const reading = readEngineStream(new Readable({ read() {} }), () => undefined, controller.signal);
    controller.abort('stop');
    await expect(reading).rejects.toThrow(/^aborted$/);
  });

  // One signal serves every stream of a run: a listener left behind per stream would pile up.
  it('leaves no listener on the run signal when a stream ends or breaks', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 3; i += 1)
      await readEngineStream(Readable.from(['{"status":"ok"}\n']), () => undefined, controller.signal);
    const broken = new Readable({ read() {} });
    const reading = readEngineStream(broken, () => undefined, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    broken.destroy(new Error('socket hang up'));
    await expect(reading).rejects.toThrow('socket hang up');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('JsonLineParser', () => {
  it('keeps a line that is not JSON as text and a partial line for the next chunk', () => {
    const parser = new JsonLineParser();
    expect(parser.push('{"status":"a"}\nnot json\n{"sta')).toEqual([{ status: 'a' }, { stream: 'not json' }]);
    expect(parser.push('tus":"b"}')).toEqual([]);
    expect(parser.end()).toEqual([{ status: 'b' }]);
    expect(parser.end()).toEqual([]);
  });

  it('skips blank lines and trims the text of lines that are not JSON', () => {
    const parser = new JsonLineParser();
    expect(parser.push('\n   \r\n  Step 1/2 : FROM scratch  \r\n\t{"status":"a"} \n')).toEqual([
      { stream: 'Step 1/2 : FROM scratch' },
      { status: 'a' },
    ]);
    expect(parser.push('  \t ')).toEqual([]);
    expect(parser.end()).toEqual([]);
  });

  it.each([
    [{ error: 'plain' }, 'plain'],
    [{ error: 'plain\n' }, 'plain'],
    [{ errorDetail: { message: '  detailed\n' } }, 'detailed'],
    [{ error: 'short', errorDetail: { message: 'detailed' } }, 'detailed'],
    [{ stream: 'Step 1/2' }, undefined],
    [{ status: 'Pushed' }, undefined],
  ])('messageError(%o) is %s', (message, expected) => {
    expect(messageError(message)).toBe(expected);
  });
});
