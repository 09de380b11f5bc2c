import pLimit from 'p-limit';
import { errorMessage } from '../errors.js';
import type { ImageDetails } from '../ports.js';
import { fileExistenceProblems } from './file-tests.js';
import { metadataProblems } from './metadata-test.js';
import type { TestKind, TestOutcome } from './outcome.js';
import { outputProblems } from './output-checks.js';
import { runServiceTest, type SmokeContext } from './service-test.js';
import type { SmokeSpec } from './spec-schema.js';

export interface SmokeResult {
  ok: boolean;
  outcomes: TestOutcome[];
}

const CONTENT_LIMIT = 1024 * 1024;
// Command and file tests each use a container of their own and share nothing: a few at once
// overlap their container start-up; service tests publish ports and run alone, one after another.
const STATIC_CONCURRENCY = 4;

async function timed(
  kind: TestKind,
  name: string,
  ctx: SmokeContext,
  check: () => Promise<string[]>,
): Promise<TestOutcome> {
  const started = ctx.clock.now().getTime();
  let problems: string[];
  try {
    problems = await check();
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    problems = [errorMessage(error)];
  }
  return { kind, name, ok: problems.length === 0, durationMs: ctx.clock.now().getTime() - started, problems };
}

/**
 * Runs every test of an (already expanded) smoke spec against one image and reports each. The
 * cheap, static checks come first; service tests last. Nothing is skipped after a failure, so a
 * report shows everything that is wrong at once.
 */
export async function runSmokeTests(spec: SmokeSpec, image: ImageDetails, ctx: SmokeContext): Promise<SmokeResult> {
  const outcomes: TestOutcome[] = [];
  const record = (outcome: TestOutcome): void => {
    outcomes.push(outcome);
    const seconds = (outcome.durationMs / 1000).toFixed(1);
    if (outcome.ok) ctx.log.info(`  ok   ${outcome.kind} test "${outcome.name}" (${seconds}s)`);
    else ctx.log.error(`  FAIL ${outcome.kind} test "${outcome.name}" (${seconds}s): ${outcome.problems.join('; ')}`);
  };

  const tests: (() => Promise<TestOutcome>)[] = [];
  if (spec.metadataTest) {
    const test = spec.metadataTest;
    tests.push(() => timed('metadata', 'metadata', ctx, () => Promise.resolve(metadataProblems(test, image))));
  }
  for (const test of spec.fileExistenceTests ?? []) {
    tests.push(() =>
      timed('file', test.name, ctx, async () =>
        fileExistenceProblems(test, await ctx.runtime.statPath(image.id, test.path)),
      ),
    );
  }
  for (const test of spec.fileContentTests ?? []) {
    tests.push(() =>
      timed('content', test.name, ctx, async () => {
        const content = await ctx.runtime.readFile(image.id, test.path, CONTENT_LIMIT);
        if (content === undefined) return [`${test.path} does not exist`];
        return outputProblems(`${test.path}`, content.toString('utf8'), test.expectedContents, test.excludedContents);
      }),
    );
  }
  for (const test of spec.commandTests ?? []) {
    tests.push(() =>
      timed('command', test.name, ctx, async () => {
        const result = await ctx.runtime.runToCompletion(
          // The entrypoint is cleared unless the test sets one, so `command` runs as written.
          { image: image.id, cmd: test.command, entrypoint: test.entrypoint ?? [], env: test.env, user: test.user },
          (test.timeoutSeconds ?? 120) * 1000,
          ctx.signal,
        );
        if (ctx.log.keepsEverything) {
          // The branch log file keeps what each command printed, not only what failed.
          const output = `${result.stdout}${result.stderr}`.replace(/\n$/, '');
          ctx.log.debug(`${test.name}: \`${test.command.join(' ')}\` exited ${result.exitCode}`);
          if (output !== '') ctx.log.detail(output);
        }
        if (result.timedOut)
          return [`\`${test.command.join(' ')}\` did not finish within ${test.timeoutSeconds ?? 120}s`];
        const problems = [
          ...outputProblems('stdout', result.stdout, test.expectedOutput, test.excludedOutput),
          ...outputProblems('stderr', result.stderr, test.expectedError, test.excludedError),
        ];
        const expected = test.exitCode ?? 0;
        if (result.exitCode !== expected)
          problems.unshift(
            `exited with ${result.exitCode}, expected ${expected}; output: ${JSON.stringify(`${result.stdout}${result.stderr}`.slice(0, 300))}`,
          );
        return problems;
      }),
    );
  }
  const limit = pLimit(STATIC_CONCURRENCY);
  // Reported in the order the spec declares them, whatever order they finish in.
  for (const outcome of await Promise.all(tests.map((test) => limit(test)))) record(outcome);
  for (const test of spec.serviceTests ?? []) {
    ctx.log.info(`  running service test "${test.name}"`);
    record(await runServiceTest(test, image.id, ctx));
  }
  return { ok: outcomes.every((outcome) => outcome.ok), outcomes };
}
