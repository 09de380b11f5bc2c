/**
 * One error hierarchy. Every error the pipeline raises on purpose is a PipelineError carrying the
 * exit code it maps to; main.ts is the only place that turns it into process.exitCode.
 *   2  bad input: an option, a date, a registry, a branch, images.json, smoke.json. Nothing was done.
 *   1  a failure while working: git, engine, build, smoke test, push, registry, GitHub.
 *   124  stopped by its own time limit (`publish --time-limit`), as timeout(1) exits.
 *   130/143  interrupted by SIGINT/SIGTERM.
 */
export class PipelineError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad input: the message names what was wrong and what would be right. */
export class InputError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 2, options);
  }
}

/** A config file with one or more problems, each `path: message`; all are reported at once. */
export class ConfigError extends InputError {
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    // Each problem once (a schema can report one path twice), each on a line of its own.
    const unique = [...new Set(problems)];
    const head =
      unique.length === 1
        ? `${file}: ${unique[0]}`
        : `${file}: ${unique.length} problems:\n${unique.map((problem) => `  - ${problem}`).join('\n')}`;
    super(head);
    this.problems = unique;
  }
}

/** A failure while working (exit 1). `step` names the stage, for reports. */
export class WorkError extends PipelineError {
  readonly step: string;
  constructor(step: string, message: string, options?: { cause?: unknown }) {
    super(message, 1, options);
    this.step = step;
  }
}

/**
 * The registry does not allow deletes (405 UNSUPPORTED: the reference registry's default). Raised
 * before anything was written for the delete, so the tag is still where it was.
 */
export class DeletesRefusedError extends WorkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('registry', message, options);
  }
}

/**
 * The Docker engine failed at something an adapter asked of it: create, start, stop, read or remove
 * a container or image. The adapter does not know which stage of the run it serves; the stage that
 * called it names the step (a BranchFailure). `engine` is the step only when no stage did.
 */
export class EngineError extends WorkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('engine', message, options);
  }
}

/** A failure talking to a registry (directly or through the engine), with what retrying needs. */
export class RegistryError extends WorkError {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  constructor(
    step: string,
    message: string,
    options: { retryable: boolean; retryAfterMs?: number | undefined; status?: number | undefined; cause?: unknown },
  ) {
    super(step, message, { cause: options.cause });
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
  }
}

/** Thrown inside a branch's stages to stop it with a reportable failure: the step, the image, why. */
export class BranchFailure extends WorkError {
  readonly image: string | undefined;
  readonly tests: string[] | undefined;
  readonly logTail: string[] | undefined;
  constructor(
    step: string,
    image: string | undefined,
    message: string,
    extra: { tests?: string[]; logTail?: string[]; cause?: unknown } = {},
  ) {
    super(step, message, { cause: extra.cause });
    this.image = image;
    this.tests = extra.tests;
    this.logTail = extra.logTail;
  }
}

/** A helper program gave no answer within its time (or, with `silence`, went quiet that long). */
export class ProcessTimeoutError extends Error {
  readonly command: string;
  readonly timeoutMs: number;
  constructor(command: string, timeoutMs: number) {
    super(`${command} gave no answer within ${timeoutMs / 1000}s`);
    this.name = 'ProcessTimeoutError';
    this.command = command;
    this.timeoutMs = timeoutMs;
  }
}

export class InterruptedError extends PipelineError {
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`, signal === 'SIGINT' ? 130 : 143);
    this.signal = signal;
  }
}

/**
 * The run reached its time limit (`publish --time-limit`) and stopped itself, cleanly, before the
 * job around it would be killed: what it had not finished is cut off by time, not failed.
 */
export class TimeLimitError extends PipelineError {
  /** The limit as the user gave it: `5h`. */
  readonly limit: string;
  constructor(limit: string) {
    super(`cut off by the time limit of ${limit} (--time-limit), not by a failure`, 124);
    this.limit = limit;
  }
}

/** A bug: something that should never happen. Printed with a request to report it. */
export class InternalError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`internal error (please report): ${message}`, 1, options);
  }
}

/** The HTTP status a client library's error carries: dockerode's `statusCode`, Octokit's `status`. */
export function statusOf(error: unknown): number | undefined {
  const e = error as { statusCode?: unknown; status?: unknown } | null | undefined;
  const status = e?.statusCode ?? e?.status;
  return typeof status === 'number' ? status : undefined;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The exit code an arbitrary thrown value maps to. */
export function exitCodeOf(error: unknown): number {
  return error instanceof PipelineError ? error.exitCode : 1;
}
