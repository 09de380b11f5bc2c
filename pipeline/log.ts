import type { Redactor } from './redact.js';

/** Where text goes: process.stderr in production, a buffer in tests. */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * Progress for humans, on stderr. Each line is prefixed by its subject, `[image@branch]`.
 * `detail` is the engine's own output (build steps, push progress): shown with --verbose and
 * always kept in a bounded tail, so a failure can quote the last lines without a flood.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  detail(message: string): void;
  child(subject: string): Logger;
  readonly verbose: boolean;
}

export interface LoggerOptions {
  sink: TextSink;
  redactor: Redactor;
  verbose?: boolean;
  subject?: string;
}

export class StreamLogger implements Logger {
  readonly verbose: boolean;
  private readonly sink: TextSink;
  private readonly redactor: Redactor;
  private readonly prefix: string;

  constructor(options: LoggerOptions) {
    this.sink = options.sink;
    this.redactor = options.redactor;
    this.verbose = options.verbose ?? false;
    this.prefix = options.subject ? `[${options.subject}] ` : '';
  }

  info(message: string): void {
    this.write('', message);
  }
  warn(message: string): void {
    this.write('warning: ', message);
  }
  error(message: string): void {
    this.write('error: ', message);
  }
  debug(message: string): void {
    if (this.verbose) this.write('debug: ', message);
  }
  detail(message: string): void {
    if (this.verbose) this.write('  ', message);
  }
  child(subject: string): Logger {
    return new StreamLogger({ sink: this.sink, redactor: this.redactor, verbose: this.verbose, subject });
  }

  private write(level: string, message: string): void {
    const lines = this.redactor.redact(message).split('\n');
    this.sink.write(lines.map((line) => `${this.prefix}${level}${line}`).join('\n') + '\n');
  }
}

/** Keeps the last `limit` lines it is given; for the log tail of a failed step. */
export class LineTail {
  private readonly lines: string[] = [];
  private readonly limit: number;
  constructor(limit = 40) {
    this.limit = limit;
  }
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.limit) this.lines.shift();
  }
  toArray(): string[] {
    return [...this.lines];
  }
}
