import { describe, expect, it } from 'vitest';
import { StreamLogger } from '../../../pipeline/log.js';
import type { ContainerRuntime, ContainerSpec, ExecResult, ImageDetails } from '../../../pipeline/ports.js';
import { Redactor } from '../../../pipeline/redact.js';
import { commandTestProblems } from '../../../pipeline/smoke/command-test.js';
import type { CommandTest, SmokeSpec } from '../../../pipeline/smoke/spec-schema.js';
import { BufferSink, fixedClock } from '../../helpers/runtime.js';

type Answer = Partial<ExecResult & { timedOut: boolean }>;

/** Records every container it is asked to run; answers by the command's first word. */
class FakeRuntime implements Pick<ContainerRuntime, 'runToCompletion' | 'runAndCommit' | 'removeImage'> {
  runs: { spec: ContainerSpec; committed: boolean }[] = [];
  removed: string[] = [];
  private next = 0;
  private readonly answers: Record<string, Answer>;
  constructor(answers: Record<string, Answer> = {}) {
    this.answers = answers;
  }

  private answer(spec: ContainerSpec) {
    return { exitCode: 0, stdout: '', stderr: '', timedOut: false, ...this.answers[spec.cmd?.[0] ?? ''] };
  }
  runToCompletion(spec: ContainerSpec) {
    this.runs.push({ spec, committed: false });
    return Promise.resolve(this.answer(spec));
  }
  runAndCommit(spec: ContainerSpec) {
    this.runs.push({ spec, committed: true });
    const answer = this.answer(spec);
    return Promise.resolve(answer.timedOut ? answer : { ...answer, image: `sha256:c${(this.next += 1)}` });
  }
  removeImage(image: string) {
    this.removed.push(image);
    return Promise.resolve();
  }
}

const IMAGE: ImageDetails = {
  id: 'sha256:base',
  layers: [],
  labels: {},
  env: ['PATH=/usr/bin:/bin', 'HOME=/root'],
  entrypoint: ['/entrypoint.sh'],
  cmd: null,
  exposedPorts: [],
  workdir: '',
  user: '',
  stopSignal: undefined,
  volumes: [],
};

async function run(test: Partial<CommandTest>, spec: SmokeSpec = {}, answers: Record<string, Answer> = {}) {
  const runtime = new FakeRuntime(answers);
  const sink = new BufferSink();
  const problems = await commandTestProblems({ name: 't', command: ['cmd'], ...test }, spec, IMAGE, {
    runtime: runtime as unknown as ContainerRuntime,
    cgroups: { pathsOf: () => Promise.resolve([]), matching: () => Promise.resolve([]) },
    clock: fixedClock('2026-01-01T00:00:00Z'),
    log: new StreamLogger({ sink, redactor: new Redactor() }),
    signal: new AbortController().signal,
  });
  return { problems, runtime, log: sink.text };
}

describe('commandTestProblems: a c-s-t command test on the container runtime', () => {
  it('runs setup in a chain of committed states, the command in the last, and removes every state', async () => {
    const { problems, runtime } = await run({ setup: [['s1'], ['s2', 'x']], command: ['cmd', 'a'] });
    expect(problems).toEqual([]);
    expect(runtime.runs.map(({ spec, committed }) => [spec.image, spec.cmd, committed])).toEqual([
      ['sha256:base', ['s1'], true],
      ['sha256:c1', ['s2', 'x'], true],
      ['sha256:c2', ['cmd', 'a'], false],
    ]);
    expect(runtime.removed).toEqual(['sha256:c2', 'sha256:c1']);
  });

  it('clears the entrypoint for setup and teardown, and for the command unless the test sets one', async () => {
    const { runtime } = await run({ setup: [['s']], teardown: [['t']], entrypoint: ['/init'] });
    expect(runtime.runs.map(({ spec }) => spec.entrypoint)).toEqual([[], ['/init'], []]);
  });

  it('runs teardown from the state the command left, and fails the test when it fails', async () => {
    const { problems, runtime } = await run({ teardown: [['t1'], ['t2']] }, {}, { t1: { exitCode: 3, stderr: 'no' } });
    expect(runtime.runs.map(({ spec, committed }) => [spec.image, spec.cmd?.[0], committed])).toEqual([
      ['sha256:base', 'cmd', true],
      ['sha256:c1', 't1', true],
    ]);
    expect(problems).toEqual(['teardown command 1 `t1` exited with 3; output: "no"']);
    expect(runtime.removed).toEqual(['sha256:c2', 'sha256:c1']);
  });

  it('stops at a failing setup command and says which, without running the command', async () => {
    const { problems, runtime } = await run({ setup: [['ok'], ['bad'], ['never']] }, {}, { bad: { exitCode: 1 } });
    expect(problems).toEqual(['setup command 2 `bad` exited with 1; output: ""']);
    expect(runtime.runs.map(({ spec }) => spec.cmd?.[0])).toEqual(['ok', 'bad']);
    expect(runtime.removed).toEqual(['sha256:c2', 'sha256:c1']);
  });

  it('reports a setup command that timed out', async () => {
    const { problems } = await run({ setup: [['slow']], timeoutSeconds: 5 }, {}, { slow: { timedOut: true } });
    expect(problems).toEqual(['setup command 1 `slow` did not finish within 5s']);
  });

  it('sets globalEnvVars and envVars, each expanded from the image environment, the test winning', async () => {
    const { runtime } = await run(
      {
        envVars: [
          { key: 'PATH', value: '/venv/bin:$PATH' },
          { key: 'B', value: 'test' },
        ],
      },
      {
        globalEnvVars: [
          { key: 'PATH', value: '/env/bin:$PATH' },
          { key: 'A', value: '${HOME}/a' },
          { key: 'B', value: 'global' },
        ],
      },
    );
    expect(runtime.runs[0]?.spec.env).toEqual({ PATH: '/venv/bin:/env/bin:/usr/bin:/bin', A: '/root/a', B: 'test' });
  });

  it('applies containerRunOptions, a test-level user winning', async () => {
    const options = { containerRunOptions: { user: 'root', privileged: true, capabilities: ['SYS_ADMIN'] } };
    const { runtime } = await run({}, options);
    expect(runtime.runs[0]?.spec).toMatchObject({ user: 'root', privileged: true, capAdd: ['SYS_ADMIN'] });
    const own = await run({ user: 'nobody' }, options);
    expect(own.runtime.runs[0]?.spec.user).toBe('nobody');
  });

  it('checks exit code, stdout and stderr as c-s-t does', async () => {
    const answers = { cmd: { exitCode: 2, stdout: 'Usage: x\n', stderr: 'E: bad\n' } };
    const { problems } = await run(
      { exitCode: 2, expectedOutput: ['.*Usage.*'], excludedError: ['^E:'], expectedError: ['missing'] },
      {},
      answers,
    );
    expect(problems).toEqual([
      'stderr does not match /missing/ (was "E: bad\\n")',
      'stderr matches excluded /^E:/ (was "E: bad\\n")',
    ]);
    expect((await run({}, {}, answers)).problems[0]).toBe('exited with 2, expected 0; output: "Usage: x\\nE: bad\\n"');
  });
});
