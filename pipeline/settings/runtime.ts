import type { TextSink } from '../log.js';
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
