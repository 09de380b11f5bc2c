import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamLogger } from '../../../pipeline/log.js';
import { writeRunSummary } from '../../../pipeline/report/step-summary.js';
import { branchReport, runReport } from '../../helpers/reports.js';
import { testRuntime } from '../../helpers/runtime.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mp-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeRunSummary (the end of publish)', () => {
  it.each([
    ['$GITHUB_STEP_SUMMARY set', true, false, 'file'],
    ['$GITHUB_STEP_SUMMARY set, --summary too', true, true, 'file'],
    ['--summary without GitHub Actions', false, true, 'stderr'],
    ['neither', false, false, 'nowhere'],
  ])('%s: writes to %s', async (_name, inActions, flag, where) => {
    const file = path.join(dir, `${where}-${String(flag)}.md`);
    writeFileSync(file, 'before\n');
    const runtime = testRuntime({
      env: inActions ? { GITHUB_STEP_SUMMARY: file, GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '5' } : {},
    });
    runtime.redactor.add('s3cr3t-password');
    const report = branchReport('master', 'failed');
    report.failure = { step: 'push', message: 'refused s3cr3t-password' };
    await writeRunSummary(
      [runReport([report])],
      runtime,
      flag,
      new StreamLogger({ sink: runtime.stderr, redactor: runtime.redactor }),
    );
    const fileText = readFileSync(file, 'utf8');
    expect(fileText.startsWith(where === 'file' ? 'before\n## Mesos images 2026-11-27' : 'before\n')).toBe(true);
    expect(fileText.length > 'before\n'.length).toBe(where === 'file');
    expect(runtime.stderr.text.startsWith('## Mesos images 2026-11-27')).toBe(where === 'stderr');
    expect(`${fileText}${runtime.stderr.text}`).not.toContain('s3cr3t-password');
    if (where === 'file') expect(fileText).toContain('[workflow run](https://github.com/o/r/actions/runs/5)');
    expect(runtime.stdout.text).toBe('');
  });

  it('warns and goes on when the summary file cannot be written', async () => {
    const runtime = testRuntime({ env: { GITHUB_STEP_SUMMARY: path.join(dir, 'missing-folder', 'summary.md') } });
    await writeRunSummary(
      [runReport([branchReport('master', 'published')])],
      runtime,
      false,
      new StreamLogger({ sink: runtime.stderr, redactor: runtime.redactor }),
    );
    expect(runtime.stderr.text).toMatch(
      /^warning: could not write the step summary to .*missing-folder\/summary\.md: ENOENT/,
    );
  });
});
