import { StreamLogger, type LoggerOptions, type TextSink } from '../log.js';
import type { Clock, GitRemote } from '../ports.js';
import type { Redactor } from '../redact.js';

/**
 * Everything a command may touch of the outside world. main.ts builds it from the real process;
 * tests build it with buffers, a fixed clock and their own environment.
 */
export interface Runtime {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: TextSink;
  stderr: TextSink;
  clock: Clock;
  redactor: Redactor;
  /** Aborts on SIGINT/SIGTERM; every long operation listens to it. */
  signal: AbortSignal;
  git: GitRemote;
  /** Colour status words on stdout and stderr: each a terminal, NO_COLOR unset (colour.ts). Default: none. */
  colour?: { stdout: boolean; stderr: boolean };
}

/**
 * A command's logger on the runtime's stderr, with its redactor and colour; `options` add what the
 * command needs (verbose, GitHub groups, log files).
 */
export function stderrLogger(
  runtime: Runtime,
  options: Omit<LoggerOptions, 'sink' | 'redactor' | 'colour'> = {},
): StreamLogger {
  return new StreamLogger({
    sink: runtime.stderr,
    redactor: runtime.redactor,
    colour: runtime.colour?.stderr,
    ...options,
  });
}
