import { describe, expect, it } from 'vitest';
import { publish } from '../../../pipeline/publish/publish.js';
import type { RunReport } from '../../../pipeline/publish/report.js';
import type { Plan } from '../../../pipeline/plan/plan.js';
import type { SmokeSpec } from '../../../pipeline/smoke/spec-schema.js';
import {
  fakeRun,
  MULTI_PLATFORM_FAMILY,
  NAMESPACE,
  planOf,
  PUSH,
  REVISION_SPEC,
  sha,
  type FakeRun,
} from '../../helpers/fake-run.js';

// What docs/multi-arch.md promises of a stage job (`publish --plan P --platform X --stage`): it
// pushes only under `stage-<UTC day>-<run id>-<branch>-<arch>`, and "a failed stage deletes the
// staging tags it pushed". So after a failed stage no staging tag of that run, branch and
// architecture is left, however far it got: a smoke test failed (nothing pushed), a later image's
// push failed (an earlier one's tag goes), or a push failed after the registry had taken its
// manifest (that tag goes too). Another job's staging tags stay: they are the assemble job's.

const DAY = '2026-11-27';
const RUN = 'run-7';
const release = { branch: '1.11.x', sha: sha(2), releaseTag: '1.11.0' };
const plan = (): Plan => planOf([release], DAY, MULTI_PLATFORM_FAMILY);
const staging = (image: string, arch: string): string => `${NAMESPACE}/${image}:stage-${DAY}-${RUN}-1.11.x-${arch}`;
const ARM_ONLY_FAILS: SmokeSpec = {
  commandTests: [
    ...(REVISION_SPEC.commandTests ?? []),
    { name: 'runs on amd64', command: ['uname', '-m'], expectedOutput: ['^x86_64$'] },
  ],
};

async function stage(run: FakeRun, platform: string): Promise<RunReport> {
  return publish(plan(), run.deps, { ...PUSH, stage: { platform, id: RUN, day: DAY } }, run.shared, RUN);
}

/** Tags in the registry that a stage job of this run, branch and architecture pushed. */
const stagingTagsOf = (run: FakeRun, arch: string): string[] =>
  Object.keys(run.registry.state()).filter((tag) => tag.endsWith(`-${RUN}-1.11.x-${arch}`));

describe('a failed stage leaves no staging tag of its run, branch and architecture', () => {
  it('a smoke test fails on arm64: nothing is pushed, no staging tag exists, amd64 job’s tags stay', async () => {
    const run = fakeRun();
    expect((await stage(run, 'linux/amd64')).status).toBe('success');
    const armRun = fakeRun({ registry: run.registry, specs: { base: REVISION_SPEC, app: ARM_ONLY_FAILS } });
    const arm = await stage(armRun, 'linux/arm64');
    expect(arm.status).toBe('failed');
    expect(arm.branches[0]?.failure).toMatchObject({ step: 'smoke', image: 'app' });
    expect(armRun.engine.pushes).toEqual([]);
    expect(stagingTagsOf(run, 'arm64')).toEqual([]);
    expect(stagingTagsOf(run, 'amd64').sort()).toEqual([staging('app', 'amd64'), staging('base', 'amd64')].sort());
  });

  it('the second image’s push fails: the first image’s staging tag is deleted again', async () => {
    const run = fakeRun();
    run.engine.failPush = (ref) =>
      ref.includes('/app:') ? Object.assign(new Error('unexpected EOF'), { status: 502 }) : undefined;
    const report = await stage(run, 'linux/arm64');
    expect(report.status).toBe('failed');
    expect(report.branches[0]?.failure).toMatchObject({ step: 'push', image: 'app' });
    // The base went up under its staging tag before the app's push failed, then was deleted.
    expect(run.engine.pushes[0]).toBe(`memory.test/${staging('base', 'arm64')}`);
    expect(stagingTagsOf(run, 'arm64')).toEqual([]);
    expect(report.branches[0]?.rollback).toEqual([`deleted the staging tag memory.test/${staging('base', 'arm64')}`]);
  });

  it('a push fails after the registry took the manifest: that staging tag is deleted too', async () => {
    const run = fakeRun();
    // The engine's push stream broke after the manifest PUT had gone through (a dropped connection,
    // a deadline): the registry has the tag, the push reports a failure, and every retry does too.
    const push = run.engine.push.bind(run.engine);
    run.engine.push = async (ref, credentials, onOutput, signal) => {
      await push(ref, credentials, onOutput, signal);
      if (ref.repository.endsWith('/app')) throw new Error('read tcp 127.0.0.1:5000: connection reset by peer');
      return `sha256:${'1'.repeat(64)}`;
    };
    const report = await stage(run, 'linux/arm64');
    expect(report.status).toBe('failed');
    expect(report.branches[0]?.failure).toMatchObject({ step: 'push', image: 'app' });
    expect(stagingTagsOf(run, 'arm64')).toEqual([]);
    expect(report.branches[0]?.rollback).toContain(`deleted the staging tag memory.test/${staging('app', 'arm64')}`);
  });

  it('a registry that refuses deletes keeps the tags and a warning names each (prune removes them later)', async () => {
    const run = fakeRun({ deleteEnabled: false });
    run.engine.failPush = (ref) => (ref.includes('/app:') ? new Error('unexpected EOF') : undefined);
    const report = await stage(run, 'linux/arm64');
    expect(report.status).toBe('failed');
    expect(stagingTagsOf(run, 'arm64')).toEqual([staging('base', 'arm64')]);
    expect(run.stderr.text).toContain(`could not delete the staging tag memory.test/${staging('base', 'arm64')}`);
  });
});
