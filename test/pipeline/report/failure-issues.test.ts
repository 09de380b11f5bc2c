import { describe, expect, it } from 'vitest';
import { issueTitle, openingBody, recoveredBody, stillFailingBody } from '../../../pipeline/report/failure-issues.js';
import { gatherOutcomes, type Outcome } from '../../../pipeline/report/outcomes.js';
import { Redactor } from '../../../pipeline/redact.js';
import { branchReport, runReport } from '../../helpers/reports.js';

const redactor = new Redactor();
redactor.add('hunter2-secret');
const context = {
  runUrl: 'https://github.example/o/r/actions/runs/9',
  redact: (text: string) => redactor.redact(text),
};

function failing(message: string, logTail: string[]): Outcome {
  const report = branchReport('1.11.x', 'failed');
  report.failure = { step: 'push', image: 'fixture-base', message, logTail };
  return gatherOutcomes([runReport([report])])[0] as Outcome;
}

describe('failure issue texts', () => {
  it('titles the issue exactly', () => {
    expect(issueTitle('1.11.x')).toBe('Nightly image build failing: 1.11.x');
  });

  it.each([
    ['opening', openingBody],
    ['still failing', stillFailingBody],
    ['recovered', recoveredBody],
  ])('keeps the %s text under GitHub body limit and free of secrets', (_name, body) => {
    const text = body(
      failing(
        `denied for hunter2-secret ${'m'.repeat(100_000)}`,
        Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(3000)}`),
      ),
      context,
    );
    expect(text.length).toBeLessThanOrEqual(60_000);
    expect(text).not.toContain('hunter2-secret');
  });

  it('quotes the last log lines, newest last, and the run URL', () => {
    const text = openingBody(
      failing(
        'push refused',
        Array.from({ length: 80 }, (_, i) => `line ${i}`),
      ),
      context,
    );
    expect(text).toContain('**Log tail** (last 60 lines)');
    expect(text).toContain('line 20\n');
    expect(text).not.toContain('line 19\n');
    expect(text).toMatch(/line 79\n```/);
    expect(text).toContain('failed on 2026-11-27 in https://github.example/o/r/actions/runs/9.');
    expect(text).toContain('| Failing step | `push` (fixture-base) |');
  });

  it('says so when the run URL is unknown', () => {
    expect(openingBody(failing('x', []), { redact: (t) => t })).toContain('| Run | unknown (GITHUB_RUN_ID not set) |');
  });
});
