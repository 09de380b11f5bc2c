import { colourStatusWords } from './colour.js';
import { errorCommand, GroupWriter, type OpenGroup } from './github-log.js';
import type { Redactor } from './redact.js';

/** Where text goes: process.stderr in production, a buffer in tests. */
export interface TextSink {
  write(text: string): unknown;
}

/** Where the full log of each branch goes (`publish --log-dir`); adapters/branch-log-files.ts. */
export interface LogFiles {
  /** Appends `text` (whole lines) to the log of `branch`, or of the run when no branch. */
  write(branch: string | undefined, text: string): void;
}

/**
 * Progress for humans, on stderr. Each line is prefixed by its subject, `[image@branch]`.
 * `detail` is the engine's own output (build steps, push progress): shown with --verbose and
 * always kept in a bounded tail, so a failure can quote the last lines without a flood. A log
 * file, when there is one, gets every line, detail and debug included.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  detail(message: string): void;
  /**
   * A failure people must find: under GitHub Actions an `::error` annotation on the run's page
   * carrying `message`; elsewhere nothing. The error line itself is the caller's.
   */
  annotateError(title: string, message: string): void;
  child(subject: string): Logger;
  /** Runs one stage of work; under GitHub Actions its lines fold into one group `[subject] title`. */
  group<T>(title: string, work: (log: Logger) => Promise<T>): Promise<T>;
  readonly verbose: boolean;
  /** True when every line is kept (a log file): worth fetching a container's whole log for. */
  readonly keepsEverything: boolean;
}

export interface LoggerOptions {
  sink: TextSink;
  redactor: Redactor;
  verbose?: boolean;
  subject?: string;
  /** Write GitHub Actions workflow commands (groups, error annotations): GITHUB_ACTIONS=true. */
  github?: boolean;
  files?: LogFiles;
  /** Colour status words on the sink (a terminal without NO_COLOR; colour.ts). Log files get none. */
  colour?: boolean;
}

/** What every logger of one command shares. */
interface Shared {
  sink: TextSink;
  redactor: Redactor;
  verbose: boolean;
  groups: GroupWriter | undefined;
  files: LogFiles | undefined;
  colour: boolean;
}

/** `mesos-mini@1.11.x` -> `1.11.x`, `1.11.x` -> `1.11.x`: subjects name the branch last. */
function branchOf(subject: string | undefined): string | undefined {
  return subject === undefined ? undefined : subject.slice(subject.lastIndexOf('@') + 1);
}

export class StreamLogger implements Logger {
  readonly verbose: boolean;
  readonly keepsEverything: boolean;
  private readonly shared: Shared;
  private readonly subject: string | undefined;
  private readonly openGroup: OpenGroup | undefined;

  constructor(options: LoggerOptions, internal?: { shared: Shared; openGroup?: OpenGroup }) {
    this.shared = internal?.shared ?? {
      sink: options.sink,
      redactor: options.redactor,
      verbose: options.verbose ?? false,
      groups: options.github ? new GroupWriter(options.sink) : undefined,
      files: options.files,
      colour: options.colour ?? false,
    };
    this.subject = options.subject;
    this.openGroup = internal?.openGroup;
    this.verbose = this.shared.verbose;
    this.keepsEverything = this.shared.files !== undefined;
  }

  info(message: string): void {
    this.write('', message, true);
  }
  warn(message: string): void {
    this.write('warning: ', message, true);
  }
  error(message: string): void {
    this.write('error: ', message, true);
  }
  debug(message: string): void {
    this.write('debug: ', message, this.verbose);
  }
  detail(message: string): void {
    this.write('  ', message, this.verbose);
  }
  annotateError(title: string, message: string): void {
    const groups = this.shared.groups;
    if (!groups) return;
    const redact = (text: string): string => this.shared.redactor.redact(text);
    // Straight to the output: an annotation is never held back behind another branch's group.
    this.shared.sink.write(errorCommand(redact(message), redact(title)));
  }
  child(subject: string): Logger {
    // A child of a logger inside a group writes into that group.
    return new StreamLogger({ ...this.options(), subject }, { shared: this.shared, openGroup: this.openGroup });
  }
  async group<T>(title: string, work: (log: Logger) => Promise<T>): Promise<T> {
    const groups = this.shared.groups;
    // GitHub groups do not nest: an inner stage stays in the outer one.
    if (!groups || this.openGroup) return work(this);
    const open = groups.open(this.shared.redactor.redact(`${this.subject ? `[${this.subject}] ` : ''}${title}`));
    try {
      return await work(new StreamLogger(this.options(), { shared: this.shared, openGroup: open }));
    } finally {
      groups.close(open);
    }
  }

  private options(): LoggerOptions {
    return { sink: this.shared.sink, redactor: this.shared.redactor, subject: this.subject };
  }

  private write(level: string, message: string, shown: boolean): void {
    const prefix = this.subject ? `[${this.subject}] ` : '';
    const lines = this.shared.redactor.redact(message).split('\n');
    const text = lines.map((line) => `${prefix}${level}${line}`).join('\n') + '\n';
    this.shared.files?.write(branchOf(this.subject), text);
    if (!shown) return;
    const groups = this.shared.groups;
    // Every line starts with its subject or level, never with "::": output of a build or a
    // container cannot pass for a workflow command. A line with neither is guarded here.
    const guarded = groups ? text.replace(/^::/gm, ' ::') : text;
    const safe = this.shared.colour
      ? guarded
          .split('\n')
          .map((line) => colourStatusWords(line, true))
          .join('\n')
      : guarded;
    if (groups && this.openGroup) groups.write(this.openGroup, safe);
    else this.shared.sink.write(safe);
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
