import { spawn, type ChildProcess } from 'node:child_process';
import { cliPath } from './paths.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `mesos-pipeline` as users do: a real process, its own env, its exit code. */
export function runBuiltCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { cwd?: string } = {},
): Promise<CliResult> {
  return startBuiltCli(args, env, options).result;
}

/** A running `mesos-pipeline`, for tests that signal it while it works. */
export interface RunningCli {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** stderr since `since` (a `Date.now()`), each chunk prefixed by its milliseconds after it: for failure messages. */
  stderrSince(since: number): string;
  /** Resolves when stderr holds a line matching `pattern`; rejects if the process ends first. */
  waitForLine(pattern: RegExp): Promise<string>;
  /** Resolves when the process has ended. */
  result: Promise<CliResult>;
}

const running = new Set<ChildProcess>();

/** Kills (SIGKILL) every CLI process a test started and that is still running: for afterAll. */
export function killLeftoverClis(): void {
  for (const child of running) child.kill('SIGKILL');
}

export function startBuiltCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { cwd?: string } = {},
): RunningCli {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  const chunks: { at: number; text: string }[] = [];
  const watchers: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const check = (): void => {
    for (const watcher of [...watchers]) {
      const line = stderr.split('\n').find((candidate) => watcher.pattern.test(candidate));
      if (line === undefined) continue;
      watchers.splice(watchers.indexOf(watcher), 1);
      watcher.resolve(line);
    }
  };
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    chunks.push({ at: Date.now(), text: chunk.toString() });
    check();
  });
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    stderr: () => stderr,
    stderrSince: (since) =>
      chunks
        .filter((chunk) => chunk.at >= since)
        .map((chunk) => `+${chunk.at - since}ms ${chunk.text.trimEnd()}`)
        .join('\n'),
    waitForLine: (pattern) =>
      new Promise((resolve, reject) => {
        watchers.push({ pattern, resolve });
        check();
        void result.then(() =>
          reject(new Error(`the process ended before a line matched ${pattern}; stderr:\n${stderr}`)),
        );
      }),
    result,
  };
}
