import { deadline as deadlineSignal } from '../deadline.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Clock, ContainerRuntime, HostCgroups, RunningContainer } from '../ports.js';
import { probe, statusAccepted, type HttpAnswer, type HttpCall } from './http-probe.js';
import type { TestOutcome } from './outcome.js';
import { outputProblems } from './output-checks.js';
import { compilePattern } from './pattern.js';
import { predicateFailure, select } from './predicates.js';
import type { ServiceTest, Step } from './spec-schema.js';

export interface SmokeContext {
  runtime: ContainerRuntime;
  cgroups: HostCgroups;
  clock: Clock;
  log: Logger;
  signal: AbortSignal;
}

const DEFAULT_TEST_TIMEOUT_S = 600;
const LOG_TAIL_LINES = 40;
// The whole log of a container, for the branch log file; bounded so a runaway service cannot
// exhaust memory.
const FULL_LOG_LINES = 200_000;

class StepFailed extends Error {}

function describeStep(step: Step): string {
  if (step.name) return step.name;
  if (step.waitHttp) return `wait for ${step.waitHttp.method ?? 'GET'} :${step.waitHttp.port}${step.waitHttp.path}`;
  if (step.http) {
    const method = step.http.method ?? (step.http.json === undefined && step.http.body === undefined ? 'GET' : 'POST');
    return `${method} :${step.http.port}${step.http.path}`;
  }
  if (step.pollJson)
    return (
      `poll :${step.pollJson.port}${step.pollJson.path} until ` + `${step.pollJson.until.map((p) => p.path).join(', ')}`
    );
  if (step.exec) return `exec ${step.exec.command.join(' ')}`;
  return 'stop the container';
}

function answerText(answer: HttpAnswer | { error: string }): string {
  if ('error' in answer) return answer.error;
  return `${answer.status} ${JSON.stringify(answer.text.slice(0, 200))}`;
}

/** Fails fast when the container died instead of waiting out the timeout. */
async function assertRunning(container: RunningContainer): Promise<void> {
  const state = await container.state();
  if (!state.running) throw new StepFailed(`the container exited with code ${state.exitCode}`);
}

class ServiceRun {
  private readonly container: RunningContainer;
  private readonly ctx: SmokeContext;
  private readonly deadline: number;
  /** Values pollJson steps saved, for later `sameAs` predicates. */
  private readonly saved = new Map<string, unknown>();
  /** Host cgroups matching a stop step's noCgroupsMatching before the container started. */
  private readonly cgroupsBefore: ReadonlySet<string>;

  constructor(container: RunningContainer, ctx: SmokeContext, deadline: number, cgroupsBefore: ReadonlySet<string>) {
    this.container = container;
    this.ctx = ctx;
    this.deadline = deadline;
    this.cgroupsBefore = cgroupsBefore;
  }

  private remaining(): number {
    return this.deadline - this.ctx.clock.now().getTime();
  }

  /** Repeats `attempt` every `intervalMs` until it returns undefined (done) or time runs out. */
  private async until(
    timeoutSeconds: number,
    intervalMs: number,
    attempt: () => Promise<string | undefined>,
  ): Promise<void> {
    const limit = Math.min(this.ctx.clock.now().getTime() + timeoutSeconds * 1000, this.deadline);
    let last: string;
    for (;;) {
      this.ctx.signal.throwIfAborted();
      await assertRunning(this.container);
      const outcome = await attempt();
      if (outcome === undefined) return;
      last = outcome;
      if (this.ctx.clock.now().getTime() + intervalMs > limit)
        throw new StepFailed(`not satisfied within ${timeoutSeconds}s; last: ${last}`);
      await this.ctx.clock.sleep(intervalMs, this.ctx.signal);
    }
  }

  /**
   * One request of a polling step (waitHttp, pollJson): the answer, or why it is not yet the one
   * awaited (no answer, another status, a body that does not match). Each request gets 5 s at most.
   */
  private async poll(
    s: Omit<HttpCall, 'port'> & {
      port: number | string;
      status?: number[] | undefined;
      bodyMatches?: string | undefined;
    },
  ): Promise<{ answer: HttpAnswer } | { problem: string }> {
    const port = this.container.hostPort(String(s.port));
    const answer = await probe({ ...s, port }, Math.min(5000, this.remaining()), this.ctx.clock, this.ctx.signal);
    if ('error' in answer || !statusAccepted(answer.status, s.status)) return { problem: answerText(answer) };
    if (s.bodyMatches && !compilePattern(s.bodyMatches).test(answer.text))
      return { problem: `body does not match /${s.bodyMatches}/: ${answerText(answer)}` };
    return { answer };
  }

  async run(step: Step): Promise<void> {
    // A dead container has no published ports to talk to: say it died, not that a port is missing.
    if (!step.stop) await assertRunning(this.container);
    if (step.waitHttp) {
      const s = step.waitHttp;
      await this.until(s.timeoutSeconds, s.intervalMs ?? 1000, async () => {
        const polled = await this.poll(s);
        return 'problem' in polled ? polled.problem : undefined;
      });
    } else if (step.http) {
      const s = step.http;
      const port = this.container.hostPort(String(s.port));
      const answer = await probe(
        { ...s, port },
        Math.min((s.timeoutSeconds ?? 30) * 1000, this.remaining()),
        this.ctx.clock,
        this.ctx.signal,
      );
      if ('error' in answer) throw new StepFailed(`request failed: ${answer.error}`);
      if (!statusAccepted(answer.status, s.status))
        throw new StepFailed(`answered ${answerText(answer)}, expected status ${s.status?.join(' or ') ?? '2xx'}`);
      if (s.bodyMatches && !compilePattern(s.bodyMatches).test(answer.text))
        throw new StepFailed(`body does not match /${s.bodyMatches}/: ${answerText(answer)}`);
    } else if (step.pollJson) {
      const s = step.pollJson;
      await this.until(s.timeoutSeconds, s.intervalMs ?? 1000, async () => {
        const polled = await this.poll(s);
        if ('problem' in polled) return polled.problem;
        const { answer } = polled;
        let json: unknown;
        try {
          json = JSON.parse(answer.text);
        } catch {
          return `not JSON: ${answerText(answer)}`;
        }
        const failures = s.until
          .map((predicate) => predicateFailure(predicate, json, this.saved))
          .filter((failure) => failure !== undefined);
        // A value to save is part of what the step waits for: it may not be there yet.
        const found = Object.entries(s.save ?? {}).map(([name, path]) => [name, path, select(path, json)] as const);
        for (const [name, path, values] of found)
          if (values.length === 0) failures.push(`${path} selects nothing to save as ${name}`);
        if (failures.length > 0) return failures.join('; ');
        for (const [name, , values] of found) this.saved.set(name, values[0]);
        return undefined;
      });
    } else if (step.exec) {
      const s = step.exec;
      const result = await this.container.exec(
        s.command,
        { user: s.user, timeoutMs: Math.min((s.timeoutSeconds ?? 60) * 1000, this.remaining()) },
        this.ctx.signal,
      );
      const problems = outputProblems('output', `${result.stdout}${result.stderr}`, s.expectedOutput, s.excludedOutput);
      const expected = s.exitCode ?? 0;
      if (result.exitCode !== expected)
        problems.unshift(
          `exited with ${result.exitCode}, expected ${expected}: ` +
            `${JSON.stringify(`${result.stdout}${result.stderr}`.slice(0, 300))}`,
        );
      if (problems.length > 0) throw new StepFailed(problems.join('; '));
    } else if (step.stop) {
      await this.stop(step.stop.timeoutSeconds ?? 30, step.stop.expectNoCgroups ?? false);
      if (step.stop.noCgroupsMatching) await this.noNewCgroups(step.stop.noCgroupsMatching);
    }
  }

  /** Fails when cgroups matching `patterns` exist now that did not before the container started. */
  private async noNewCgroups(patterns: readonly string[]): Promise<void> {
    let left: string[] = [];
    // The kernel removes a stopped container's cgroups a moment after the stop.
    for (let attempt = 0; attempt < 20; attempt += 1) {
      left = (await this.ctx.cgroups.matching(patterns)).filter((found) => !this.cgroupsBefore.has(found));
      if (left.length === 0) return;
      await this.ctx.clock.sleep(250, this.ctx.signal);
    }
    throw new StepFailed(
      `cgroups matching ${patterns.join(', ')} appeared on the host during the test and are left after ` +
        `the stop: ${left.slice(0, 5).join(', ')}${left.length > 5 ? ` and ${left.length - 5} more` : ''}`,
    );
  }

  private async stop(timeoutSeconds: number, expectNoCgroups: boolean): Promise<void> {
    // Proves the check can see this container's cgroups at all, so "none left" is not vacuous.
    const before = expectNoCgroups ? await this.ctx.cgroups.pathsOf(this.container.id) : [];
    if (expectNoCgroups && before.length === 0) {
      throw new StepFailed(
        'cannot see the cgroups of the running container on this host; expectNoCgroups needs the engine ' +
          'on the same host as the pipeline',
      );
    }
    await this.container.stop(timeoutSeconds);
    const state = await this.container.state();
    if (state.running) throw new StepFailed(`the container still runs ${timeoutSeconds}s after docker stop`);
    if (!expectNoCgroups) return;
    let left: string[] = [];
    for (let attempt = 0; attempt < 20; attempt += 1) {
      left = await this.ctx.cgroups.pathsOf(this.container.id);
      if (left.length === 0) return;
      await this.ctx.clock.sleep(250, this.ctx.signal);
    }
    throw new StepFailed(
      `cgroups of the container are left on the host after it stopped: ` +
        `${left.slice(0, 5).join(', ')}${left.length > 5 ? ` and ${left.length - 5} more` : ''}`,
    );
  }
}

/**
 * Starts the image with the test's run options, runs its steps in order and always removes the
 * container: on success, failure, timeout and interruption. A failure keeps the container's last
 * log lines.
 */
export async function runServiceTest(test: ServiceTest, image: string, ctx: SmokeContext): Promise<TestOutcome> {
  const started = ctx.clock.now().getTime();
  const timeoutSeconds = test.timeoutSeconds ?? DEFAULT_TEST_TIMEOUT_S;
  const deadline = started + timeoutSeconds * 1000;
  const run = test.run ?? {};
  const outcome: TestOutcome = { kind: 'service', name: test.name, ok: false, durationMs: 0, problems: [] };
  let container: RunningContainer | undefined;
  // The test's own deadline aborts a step that hangs (a stuck exec, a slow answer).
  const limit = deadlineSignal(ctx.clock, timeoutSeconds * 1000, ctx.signal);
  const testSignal = limit.signal;
  const stepCtx = { ...ctx, signal: testSignal };
  try {
    // What a stop step will compare with: host cgroups of those patterns before the test ran.
    const patterns = test.steps.flatMap((step) => step.stop?.noCgroupsMatching ?? []);
    const cgroupsBefore = new Set(patterns.length > 0 ? await ctx.cgroups.matching(patterns) : []);
    container = await ctx.runtime.start(
      {
        image,
        cmd: run.command,
        entrypoint: run.entrypoint,
        env: run.env,
        user: run.user,
        ports: run.ports?.map(String),
        privileged: run.privileged,
        capAdd: run.capAdd,
        capDrop: run.capDrop,
        securityOpt: run.securityOpt,
        tmpfs: run.tmpfs,
        volumes: run.volumes,
        cgroupns: run.cgroupns,
      },
      testSignal,
    );
    const service = new ServiceRun(container, stepCtx, deadline, cgroupsBefore);
    for (const [index, step] of test.steps.entries()) {
      const label = `step ${index + 1} (${describeStep(step)})`;
      ctx.log.debug(`${test.name}: ${label}`);
      try {
        await service.run(step);
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        const reason = testSignal.aborted ? `the test did not finish within ${timeoutSeconds}s` : errorMessage(error);
        outcome.problems.push(`${label}: ${reason}`);
        break;
      }
    }
    outcome.ok = outcome.problems.length === 0;
    if (!outcome.ok && container)
      outcome.logTail = (await container.logsTail(LOG_TAIL_LINES)).split('\n').filter((line) => line !== '');
    // With a log file (`publish --log-dir`), the container's whole log goes there, pass or fail.
    if (container && ctx.log.keepsEverything) {
      const all = (await container.logsTail(FULL_LOG_LINES)).replace(/\n$/, '');
      ctx.log.debug(`${test.name}: the container's log${all === '' ? ' is empty' : ':'}`);
      if (all !== '') ctx.log.detail(all);
    }
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    outcome.problems.push(errorMessage(error));
  } finally {
    limit.dispose();
    if (container) {
      await ctx.runtime
        .remove(container.id)
        .catch((error: unknown) =>
          ctx.log.warn(`could not remove container ${container?.id.slice(0, 12)}: ${errorMessage(error)}`),
        );
    }
    outcome.durationMs = ctx.clock.now().getTime() - started;
  }
  return outcome;
}
