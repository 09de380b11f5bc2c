import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { InputError, errorMessage } from '../errors.js';
import type { LogFiles } from '../log.js';
import type { Clock } from '../ports.js';

/** The log of lines that belong to no branch (the run's start and end). */
export const RUN_LOG = 'run';

/**
 * `publish --log-dir DIR`: one file per branch, `DIR/<branch>.log`, with every line of that branch
 * (the whole build output, every smoke test and container log, pushes), each stamped with the UTC
 * time. The run report keeps only the last lines of a failure; these keep everything, and the
 * nightly uploads them. Written synchronously, line by line: a job killed at its time limit still
 * leaves everything up to that moment.
 */
export class BranchLogFiles implements LogFiles {
  private readonly dir: string;
  private readonly clock: Clock;
  private readonly fds = new Map<string, number>();
  /** Why the files stopped being written, if they did. */
  problem: string | undefined;

  constructor(dir: string, clock: Clock) {
    this.dir = dir;
    this.clock = clock;
  }

  /** Creates the folder (exit 2 when it cannot be), before any work starts. */
  static open(option: string, dir: string, clock: Clock): BranchLogFiles {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new InputError(
        `${option} ${dir}: cannot create the folder (${errorMessage(error)}); give a writable folder`,
      );
    }
    return new BranchLogFiles(dir, clock);
  }

  /** The file of `branch`, for messages and tests. */
  fileOf(branch: string | undefined): string {
    return path.join(this.dir, `${branch ?? RUN_LOG}.log`);
  }

  write(branch: string | undefined, text: string): void {
    if (this.problem !== undefined) return;
    const stamp = this.clock.now().toISOString();
    const stamped = text.replace(/^(?=.)/gm, `${stamp} `);
    try {
      let fd = this.fds.get(branch ?? RUN_LOG);
      if (fd === undefined) {
        fd = openSync(this.fileOf(branch), 'a');
        this.fds.set(branch ?? RUN_LOG, fd);
      }
      writeSync(fd, stamped);
    } catch (error) {
      // A full disk must not fail the run it only records; the stderr log goes on, and the run
      // says at its end that the files are incomplete.
      this.problem = `${this.fileOf(branch)}: ${errorMessage(error)}`;
    }
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
