import { describe, expect, it } from 'vitest';
import { StreamLogger } from '../../../pipeline/log.js';
import { engineOutput } from '../../../pipeline/publish/push.js';
import { Redactor } from '../../../pipeline/redact.js';
import { BufferSink } from '../../helpers/runtime.js';

describe('engineOutput', () => {
  it('turns each retry the engine starts into one warning, and keeps its countdown and other lines as detail', () => {
    const sink = new BufferSink();
    const onLine = engineOutput(new StreamLogger({ sink, redactor: new Redactor() }));
    const lines = [
      'a1b2c3: Preparing',
      'a1b2c3: Retrying in 5 seconds',
      'a1b2c3: Retrying in 4 seconds',
      'a1b2c3: Retrying in 1 second',
      'a1b2c3: Retrying in 10 seconds',
      'a1b2c3: Retrying in 9 seconds',
      'd4e5f6: Retrying in 5 seconds',
      'a1b2c3: Pushed',
    ];
    for (const line of lines) onLine(line);
    expect(sink.text.trim().split('\n')).toEqual([
      'warning: the registry failed layer a1b2c3; the engine retries it in 5s',
      'warning: the registry failed layer a1b2c3; the engine retries it in 10s',
      'warning: the registry failed layer d4e5f6; the engine retries it in 5s',
    ]);
  });

  it('names no layer when the engine names none, and warns once for a countdown that repeats a number', () => {
    const sink = new BufferSink();
    const onLine = engineOutput(new StreamLogger({ sink, redactor: new Redactor() }));
    for (const line of ['Retrying in 3 seconds', 'Retrying in 3 seconds', 'Retrying in 2 seconds']) onLine(line);
    expect(sink.text).toBe('warning: the registry failed a layer; the engine retries it in 3s\n');
  });

  it('with -v keeps every other line and each countdown step as detail, only lines that are a retry warn', () => {
    const sink = new BufferSink();
    const onLine = engineOutput(new StreamLogger({ sink, redactor: new Redactor(), verbose: true }));
    const lines = [
      'a1b2c3: Retrying in 2 seconds',
      'a1b2c3: Retrying in 1 second',
      // Not the engine's retry line: the words inside other output, or followed by more.
      'Step 3/4 : RUN echo a1b2c3: Retrying in 5 seconds',
      'a1b2c3: Retrying in 5 seconds, or not',
      'a1b2c3: Pushed',
    ];
    for (const line of lines) onLine(line);
    expect(sink.text.split('\n').filter(Boolean)).toEqual([
      'warning: the registry failed layer a1b2c3; the engine retries it in 2s',
      '  a1b2c3: Retrying in 1 second',
      '  Step 3/4 : RUN echo a1b2c3: Retrying in 5 seconds',
      '  a1b2c3: Retrying in 5 seconds, or not',
      '  a1b2c3: Pushed',
    ]);
  });
});
