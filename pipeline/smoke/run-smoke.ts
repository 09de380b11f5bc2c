import pLimit from 'p-limit';
import { errorMessage } from '../errors.js';
import type { ImageDetails } from '../ports.js';
import { commandTestProblems } from './command-test.js';
import { fileExistenceProblems, needsOwner } from './file-tests.js';
import { DEBIAN_DOC_ROOT, debianCopyrights, licenseTextProblems } from './license-test.js';
import { metadataProblems } from './metadata-test.js';
import type { TestKind, TestOutcome } from './outcome.js';
import { outputProblems } from './output-checks.js';
import { runServiceTest, type SmokeContext } from './service-test.js';
import type { LicenseTest, SmokeSpec } from './spec-schema.js';

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

/** c-s-t's license test: the listed copyright files, and with `debian` every package's. */
async function licenseProblems(test: LicenseTest, image: ImageDetails, ctx: SmokeContext): Promise<string[]> {
  const problems: string[] = [];
  if (test.debian) {
    const entries = await ctx.runtime.readArchive(image.id, DEBIAN_DOC_ROOT, {
      contentOf: (name) => /^[^/]+\/[^/]+\/copyright$/.test(name),
      limit: CONTENT_LIMIT,
    });
    if (!entries)
      problems.push(`${DEBIAN_DOC_ROOT} does not exist; debian: true reads the copyright file of every package there`);
    for (const copyright of debianCopyrights(entries ?? [])) {
      const content = copyright.linkTarget
        ? await ctx.runtime.readFile(image.id, copyright.linkTarget, CONTENT_LIMIT)
        : copyright.content;
      problems.push(...licenseTextProblems(copyright.file, content));
    }
  }
  for (const file of test.files ?? [])
    problems.push(...licenseTextProblems(file, await ctx.runtime.readFile(image.id, file, CONTENT_LIMIT)));
  return problems;
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
    // Passing tests one by one only with -v; the stage's summary line says how many passed.
    if (outcome.ok) ctx.log.detail(`ok   ${outcome.kind} test "${outcome.name}" (${seconds}s)`);
    else ctx.log.error(`  FAIL ${outcome.kind} test "${outcome.name}" (${seconds}s): ${outcome.problems.join('; ')}`);
  };

  const tests: (() => Promise<TestOutcome>)[] = [];
  if (spec.metadataTest) {
    const test = spec.metadataTest;
    tests.push(() => timed('metadata', 'metadata', ctx, () => Promise.resolve(metadataProblems(test, image))));
  }
  for (const test of spec.fileExistenceTests ?? []) {
    tests.push(() =>
      timed('file', test.name, ctx, async () => {
        const stat = await ctx.runtime.statPath(image.id, test.path);
        const owner =
          stat && needsOwner(test)
            ? (await ctx.runtime.readArchive(image.id, test.path, { first: true }))?.[0]
            : undefined;
        return fileExistenceProblems(test, stat, owner);
      }),
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
    tests.push(() => timed('command', test.name, ctx, () => commandTestProblems(test, spec, image, ctx)));
  }
  for (const [index, test] of (spec.licenseTests ?? []).entries()) {
    tests.push(() => timed('license', `licenseTests[${index}]`, ctx, () => licenseProblems(test, image, ctx)));
  }
  const limit = pLimit(STATIC_CONCURRENCY);
  // Reported in the order the spec declares them, whatever order they finish in.
  for (const outcome of await Promise.all(tests.map((test) => limit(test)))) record(outcome);
  for (const test of spec.serviceTests ?? []) {
    ctx.log.detail(`running service test "${test.name}"`);
    record(await runServiceTest(test, image.id, ctx));
  }
  return { ok: outcomes.every((outcome) => outcome.ok), outcomes };
}
