import { systemClock } from '../../pipeline/adapters/clock.js';
import { GitLsRemote } from '../../pipeline/adapters/git-remote.js';
import type { Runtime } from '../../pipeline/settings/runtime.js';
import type { Clock } from '../../pipeline/ports.js';
import { Redactor } from '../../pipeline/redact.js';

export class BufferSink {
  text = '';
  write(chunk: string): void {
    this.text += chunk;
  }
}

/** A clock fixed at `iso`; sleep really sleeps (tests keep delays short). */
export function fixedClock(iso: string): Clock {
  return {
    now: () => new Date(iso),
    after: (ms, fire) => systemClock.after(ms, fire),
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(signal.reason as Error);
        });
      }),
  };
}

export interface TestRuntime extends Runtime {
  stdout: BufferSink;
  stderr: BufferSink;
}

export function testRuntime(overrides: Partial<Runtime> & { now?: string } = {}): TestRuntime {
  const { now, ...rest } = overrides;
  return {
    env: {},
    cwd: process.cwd(),
    clock: fixedClock(now ?? '2026-11-27T10:00:00Z'),
    redactor: new Redactor(),
    signal: new AbortController().signal,
    git: new GitLsRemote(systemClock),
    ...rest,
    stdout: new BufferSink(),
    stderr: new BufferSink(),
  };
}
