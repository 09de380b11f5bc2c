import { describe, expect, it } from 'vitest';
import { colourEnabled, colourStatusWords, paint } from '../../pipeline/colour.js';
import { StreamLogger } from '../../pipeline/log.js';
import { Redactor } from '../../pipeline/redact.js';
import { BufferSink } from '../helpers/runtime.js';

const GREEN = '\u001b[32m';
const RED = '\u001b[31m';
const YELLOW = '\u001b[33m';
const RESET = '\u001b[39m';

describe('colourEnabled: colour on a terminal, never when NO_COLOR is set or when not a terminal', () => {
  it.each<[string, Record<string, string | undefined>, boolean | undefined, boolean]>([
    ['a terminal', {}, true, true],
    ['not a terminal (a pipe, a file, CI logs)', {}, false, false],
    ['unknown whether a terminal', {}, undefined, false],
    ['NO_COLOR set', { NO_COLOR: '1' }, true, false],
    ['NO_COLOR set to anything', { NO_COLOR: 'false' }, true, false],
    ['NO_COLOR empty (the standard: only a non-empty value counts)', { NO_COLOR: '' }, true, true],
    ['a dumb terminal', { TERM: 'dumb' }, true, false],
  ])('%s', (_, env, isTTY, expected) => {
    expect(colourEnabled(env, isTTY)).toBe(expected);
  });
});

describe('colourStatusWords', () => {
  it.each([
    ['[master] published in 3.1s', `[master] ${GREEN}published${RESET} in 3.1s`],
    ['[base@master] smoke tests passed (3) in 1.0s', `[base@master] smoke tests ${GREEN}passed${RESET} (3) in 1.0s`],
    ['[master] error: FAILED at build (base)', `[master] ${RED}error:${RESET} ${RED}FAILED${RESET} at build (base)`],
    ['warning: retrying', `${YELLOW}warning:${RESET} retrying`],
    ['[base@master]   ok   command test "x"', `[base@master]   ${GREEN}ok${RESET}   command test "x"`],
    ['[base@master]   FAIL command test "x"', `[base@master]   ${RED}FAIL${RESET} command test "x"`],
    [
      'master  mesos-mini  master-2026-11-27  2h 01m  stale',
      `master  mesos-mini  master-2026-11-27  2h 01m  ${YELLOW}stale${RESET}`,
    ],
    ['[app@master] unchanged: reusing sha256:abc', `[app@master] ${GREEN}unchanged${RESET}: reusing sha256:abc`],
  ])('%j', (line, coloured) => {
    expect(colourStatusWords(line, true)).toBe(coloured);
  });

  it.each(['[master] published in 3.1s', 'error: x', '  ok   command test'])('leaves %j alone when off', (line) => {
    expect(colourStatusWords(line, false)).toBe(line);
  });

  it('colours only status words where they stand as such, not inside other words or names', () => {
    expect(colourStatusWords('[mesos-mini@1.11.x] building from okay/failedness at abc', true)).toBe(
      '[mesos-mini@1.11.x] building from okay/failedness at abc',
    );
  });

  it('paint wraps a word in one colour and resets only the foreground', () => {
    expect(paint('x', 'bad', true)).toBe(`${RED}x${RESET}`);
    expect(paint('x', 'bad', false)).toBe('x');
  });
});

describe('StreamLogger with colour', () => {
  it('colours status words on its sink, never in log files', () => {
    const sink = new BufferSink();
    const files: string[] = [];
    const log = new StreamLogger({
      sink,
      redactor: new Redactor(),
      colour: true,
      files: { write: (_branch, text) => files.push(text) },
    }).child('master');
    log.info('published in 1.0s');
    expect(sink.text).toBe(`[master] ${GREEN}published${RESET} in 1.0s\n`);
    expect(files).toEqual(['[master] published in 1.0s\n']);
  });

  it('writes no escape codes by default', () => {
    const sink = new BufferSink();
    new StreamLogger({ sink, redactor: new Redactor() }).error('FAILED');
    expect(sink.text).toBe('error: FAILED\n');
  });
});
