import { errorMessage } from '../errors.js';
import type { ContainerSpec, ExecResult, ImageDetails } from '../ports.js';
import { envMap, resolveEnvVars } from './env-vars.js';
import { outputProblems } from './output-checks.js';
import type { SmokeContext } from './service-test.js';
import type { CommandTest, SmokeSpec } from './spec-schema.js';

const DEFAULT_TIMEOUT_S = 120;

type RunResult = ExecResult & { timedOut: boolean; image?: string | undefined };

function shown(stdout: string, stderr: string): string {
  return JSON.stringify(`${stdout}${stderr}`.slice(0, 300));
}

/**
 * Runs one command test as container-structure-test's docker driver does: every setup command
 * in a container of its own whose result is committed for the next one, then the command in a
 * container of what setup left (entrypoint cleared unless the test sets one), then teardown the
 * same way. Unlike c-s-t, a setup or teardown command that fails fails the test, and the
 * committed images are removed however the test ends.
 */
export async function commandTestProblems(
  test: CommandTest,
  spec: SmokeSpec,
  image: ImageDetails,
  ctx: SmokeContext,
): Promise<string[]> {
  const timeoutSeconds = test.timeoutSeconds ?? DEFAULT_TIMEOUT_S;
  const deadline = ctx.clock.now().getTime() + timeoutSeconds * 1000;
  const remaining = (): number => Math.max(1, deadline - ctx.clock.now().getTime());
  const imageEnv = envMap(image.env);
  const global = resolveEnvVars(spec.globalEnvVars ?? [], imageEnv);
  const env = {
    ...global,
    ...resolveEnvVars(test.envVars ?? [], new Map([...imageEnv, ...Object.entries(global)])),
  };
  const options = spec.containerRunOptions ?? {};
  const base: Omit<ContainerSpec, 'image' | 'cmd'> = {
    entrypoint: [],
    env,
    user: test.user ?? options.user,
    privileged: options.privileged,
    capAdd: options.capabilities,
  };
  const committed: string[] = [];
  let current = image.id;

  /** Runs in a container of the current state; `keep` commits what it left as the next state. */
  const run = async (container: Omit<ContainerSpec, 'image'>, keep: boolean): Promise<RunResult> => {
    const spec = { ...container, image: current };
    const result: RunResult = keep
      ? await ctx.runtime.runAndCommit(spec, remaining(), ctx.signal)
      : await ctx.runtime.runToCompletion(spec, remaining(), ctx.signal);
    if (result.image) {
      committed.push(result.image);
      current = result.image;
    }
    return result;
  };

  /** One setup or teardown command; a problem when it did not exit 0. */
  const step = async (what: string, cmd: string[], keep: boolean): Promise<string | undefined> => {
    const result = await run({ ...base, cmd }, keep);
    if (result.timedOut) return `${what} \`${cmd.join(' ')}\` did not finish within ${timeoutSeconds}s`;
    if (result.exitCode !== 0)
      return (
        `${what} \`${cmd.join(' ')}\` exited with ${result.exitCode}; output: ` +
        `${shown(result.stdout, result.stderr)}`
      );
    return undefined;
  };

  try {
    for (const [index, cmd] of (test.setup ?? []).entries()) {
      const failed = await step(`setup command ${index + 1}`, cmd, true);
      if (failed) return [failed];
    }
    const teardown = test.teardown ?? [];
    const result = await run({ ...base, cmd: test.command, entrypoint: test.entrypoint ?? [] }, teardown.length > 0);
    if (ctx.log.keepsEverything) {
      // The branch log file keeps what each command printed, not only what failed.
      const output = `${result.stdout}${result.stderr}`.replace(/\n$/, '');
      ctx.log.debug(`${test.name}: \`${test.command.join(' ')}\` exited ${result.exitCode}`);
      if (output !== '') ctx.log.detail(output);
    }
    if (result.timedOut) return [`\`${test.command.join(' ')}\` did not finish within ${timeoutSeconds}s`];
    const problems = [
      ...outputProblems('stdout', result.stdout, test.expectedOutput, test.excludedOutput),
      ...outputProblems('stderr', result.stderr, test.expectedError, test.excludedError),
    ];
    const expected = test.exitCode ?? 0;
    if (result.exitCode !== expected)
      problems.unshift(
        `exited with ${result.exitCode}, expected ${expected}; output: ${shown(result.stdout, result.stderr)}`,
      );
    for (const [index, cmd] of teardown.entries()) {
      const failed = await step(`teardown command ${index + 1}`, cmd, index < teardown.length - 1);
      if (failed) {
        problems.push(failed);
        break;
      }
    }
    return problems;
  } finally {
    // Newest first: each committed image is the parent of the next.
    for (const id of committed.reverse())
      await ctx.runtime
        .removeImage(id)
        .catch((error: unknown) => ctx.log.warn(`could not remove image ${id.slice(0, 19)}: ${errorMessage(error)}`));
  }
}
