import { describe, expect, it } from 'vitest';
import { gatherOutcomes } from '../../../pipeline/report/outcomes.js';
import { renderSummary } from '../../../pipeline/report/summary.js';
import { branchReport, digestOf, runReport, shaOf } from '../../helpers/reports.js';

const render = (...branches: Parameters<typeof branchReport>[]): string =>
  renderSummary({ outcomes: gatherOutcomes([runReport(branches.map((args) => branchReport(...args)))]) });
const rowsOf = (markdown: string, branch: string): string[] => {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`| ${branch} |`));
  const rows = [lines[start] as string];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('|  |')) break;
    rows.push(line);
  }
  return rows;
};

describe('renderSummary', () => {
  const DIGEST = expect.stringMatching(/^`sha256:[0-9a-f]{64}`$/);
  const TAGS = '`1.10.x-2026-11-27` `1.10.x`';
  it.each([
    [
      'published',
      ['✅ published', '`312e31302e78`', '2m 05s', 'fixture-base', TAGS, DIGEST, '1m 05s', '4.2s', '1.5s'],
      ['fixture-app', TAGS, DIGEST, '1m 05s', '4.2s', '1.5s'],
    ],
    [
      'unchanged',
      ['♻️ unchanged', '`312e31302e78`', '2m 05s', 'fixture-base', TAGS, DIGEST, '', '', '0.3s'],
      ['fixture-app', TAGS, DIGEST, '', '', '0.3s'],
    ],
    [
      'tested',
      ['🧪 tested, not pushed', '`312e31302e78`', '2m 05s', 'fixture-base', '', '', '1.0s', '1.0s', ''],
      ['fixture-app', '', '', '1.0s', '1.0s', ''],
    ],
    [
      'failed',
      ['❌ failed at smoke (fixture-app)', '`312e31302e78`', '2m 05s', 'fixture-base', '', '', '1.0s', '', ''],
      ['fixture-app', '', '', '1.0s', '', ''],
    ],
    [
      'interrupted',
      ['⛔ interrupted', '`312e31302e78`', '2m 05s', 'fixture-base', '', '', '1.0s', '', ''],
      ['fixture-app', '', '', '1.0s', '', ''],
    ],
  ] as const)('shows a %s branch as one row per image', (status, first, second) => {
    const cells = (row: string): string[] => row.slice(2, -2).split(' | ');
    const rows = rowsOf(render(['1.10.x', status]), '1.10.x').map(cells);
    expect(rows).toEqual([
      ['1.10.x', ...first],
      ['', '', '', '', ...second],
    ]);
  });

  it('lists each platform of a multi-platform image with its smoke result and manifest digest', () => {
    const report = branchReport('1.10.x', 'failed');
    const [base] = report.images;
    if (!base) throw new Error('no image');
    base.digest = digestOf('index');
    base.platforms = [
      { platform: 'linux/amd64', passed: true, digest: digestOf('amd64') },
      { platform: 'linux/arm64', passed: false },
    ];
    const markdown = renderSummary({ outcomes: gatherOutcomes([runReport([report])]) });
    const cell = rowsOf(markdown, '1.10.x')[0]?.slice(2, -2).split(' | ')[6];
    expect(cell).toBe(
      `\`${digestOf('index')}\`<br>linux/amd64 passed \`${digestOf('amd64').slice(0, 19)}\`<br>linux/arm64 failed`,
    );
  });

  it.each([
    ['published', false],
    ['unchanged', false],
    ['tested', false],
    ['failed', true],
    ['interrupted', true],
  ] as const)('gives a %s branch a failure section: %s', (status, section) => {
    expect(render(['1.10.x', status]).includes('### 1.10.x:')).toBe(section);
  });

  it('names the failing step, message, failing tests and log tail of a failing branch', () => {
    const markdown = render(['master', 'failed']);
    const section = markdown.slice(markdown.indexOf('### master'));
    expect(section).toContain('### master: ❌ failed at smoke (fixture-app)');
    expect(section).toContain(`Commit \`${shaOf('master')}\``);
    expect(section).toContain('```text\nsmoke test "version" failed: expected fixture 1.12\n```');
    expect(section).toContain('Failing tests: `version`');
    expect(section).toContain(
      '<details><summary>Last 2 log lines</summary>\n\n```text\nstarting\nboom: exit 3\n```\n\n</details>',
    );
  });

  it('says a branch was cut off by time, not failed, when the run reached its --time-limit', () => {
    const cutOff = branchReport('1.10.x', 'interrupted', '2026-11-27', {
      failure: { step: 'time-limit', message: 'cut off by the time limit of 5h (--time-limit), not by a failure' },
    });
    const markdown = renderSummary({
      outcomes: gatherOutcomes([runReport([cutOff, branchReport('1.11.x', 'interrupted')])]),
    });
    expect(rowsOf(markdown, '1.10.x')[0]).toMatch(/^\| 1\.10\.x \| ⏱️ cut off by time \| /);
    expect(rowsOf(markdown, '1.11.x')[0]).toMatch(/^\| 1\.11\.x \| ⛔ interrupted \| /);
    expect(markdown).toContain('2 branches: 1 cut off by time, 1 interrupted');
    const section = markdown.slice(markdown.indexOf('### 1.10.x'));
    expect(section).toContain('### 1.10.x: ⏱️ cut off by time');
    expect(section).toContain('cut off by the time limit of 5h (--time-limit), not by a failure');
  });

  it('lists an expected branch without a report as failing', () => {
    const markdown = renderSummary({
      outcomes: gatherOutcomes([runReport([branchReport('master', 'published')])], ['1.11.x', 'master']),
    });
    expect(rowsOf(markdown, '1.11.x')).toEqual(['| 1.11.x | ❓ no report |  |  |  |  |  |  |  |  |']);
    expect(markdown).toContain('### 1.11.x: ❓ no report');
    expect(markdown).toContain('no run report: the publish job of this branch ended before writing one');
    expect(markdown).toContain('2 branches: 1 missing, 1 published');
  });

  it('heads the summary with the date, registry, run link and a tally', () => {
    const outcomes = gatherOutcomes([
      runReport([
        branchReport('1.9.x', 'published'),
        branchReport('master', 'failed'),
        branchReport('1.10.x', 'published'),
      ]),
    ]);
    const markdown = renderSummary({ outcomes, runUrl: 'https://github.com/o/r/actions/runs/7' });
    expect(markdown.split('\n').slice(0, 3)).toEqual([
      '## Mesos images 2026-11-27',
      '',
      'registry `registry.example:5000/mesos` · [workflow run](https://github.com/o/r/actions/runs/7) · 3 branches: 2 published, 1 failed',
    ]);
  });

  it('keeps logs that contain fences and table syntax from breaking the Markdown', () => {
    const report = branchReport('master', 'failed');
    report.failure = {
      step: 'build',
      image: 'fixture-base',
      message: 'a | b\n````\nnot the end',
      logTail: ['```', '| x | y |'],
    };
    const markdown = renderSummary({ outcomes: gatherOutcomes([runReport([report])]) });
    expect(markdown).toContain('`````text\na | b\n````\nnot the end\n`````');
    expect(markdown).toContain('````text\n```\n| x | y |\n````');
  });

  it('says why each image of a published branch was rebuilt rather than re-tagged', () => {
    const stale = branchReport('1.9.x', 'published');
    const [base, app] = stale.images;
    if (base)
      base.reason =
        'the published image is 8d 00h old, older than --rebuild-after 7d 00h: rebuilt for OS and package updates';
    if (app) app.reason = 'its base fixture-base is rebuilt';
    const moved = branchReport('1.10.x', 'published');
    for (const image of moved.images)
      image.reason = 'the published image is of 1111111111, the branch is at 2222222222';
    const markdown = renderSummary({
      outcomes: gatherOutcomes([runReport([stale, moved, branchReport('master', 'unchanged')])]),
    });
    const section = markdown.slice(markdown.indexOf('### Why rebuilt'));
    expect(section.split('\n').slice(0, 6)).toEqual([
      '### Why rebuilt',
      '',
      '- `1.9.x` fixture-base: the published image is 8d 00h old, older than --rebuild-after 7d 00h: ' +
        'rebuilt for OS and package updates',
      '- `1.9.x` fixture-app: its base fixture-base is rebuilt',
      '- `1.10.x` fixture-base: the published image is of 1111111111, the branch is at 2222222222',
      '- `1.10.x` fixture-app: the published image is of 1111111111, the branch is at 2222222222',
    ]);
    // Re-tagged branches were not rebuilt: nothing to explain.
    expect(section).not.toContain('`master`');
  });

  it('has no rebuild section when nothing was rebuilt', () => {
    expect(render(['master', 'unchanged'], ['1.9.x', 'failed'])).not.toContain('Why rebuilt');
  });

  it('shows the reused digest of an image re-tagged without a new digest', () => {
    const report = branchReport('1.11.x', 'unchanged');
    for (const image of report.images) delete image.digest;
    const markdown = renderSummary({ outcomes: gatherOutcomes([runReport([report])]) });
    expect(markdown).toContain(`reused \`${digestOf('fixture-base1.11.x')}\``);
  });

  it.each([
    ['many huge failures', 300, 1_000_000, /Details of \d+ failing branches left out/],
    ['a tiny budget', 40, 3000, /\d+ table rows left out/],
  ])('stays under the byte budget with %s', (_name, count, budget, note) => {
    const branches = Array.from({ length: count }, (_, index) => {
      const report = branchReport(`1.${index}.x`, 'failed');
      report.failure = {
        step: 'build',
        message: 'é'.repeat(20_000),
        logTail: Array.from({ length: 200 }, () => 'x'.repeat(2000)),
      };
      return report;
    });
    const markdown = renderSummary({ outcomes: gatherOutcomes([runReport(branches)]) }, budget);
    expect(Buffer.byteLength(markdown)).toBeLessThanOrEqual(budget);
    expect(markdown).toMatch(note);
    expect(markdown).toContain('## Mesos images 2026-11-27');
  });
});

describe('gatherOutcomes', () => {
  it('orders branches by version, keeps the latest report of a re-run branch and adds missing ones', () => {
    const first = runReport([branchReport('master', 'failed'), branchReport('1.10.x', 'published')], {
      finishedAt: '2026-11-27T03:40:00.000Z',
    });
    const rerun = runReport([branchReport('master', 'published')], { finishedAt: '2026-11-27T05:00:00.000Z' });
    const outcomes = gatherOutcomes([rerun, first], ['1.9.x', 'master']);
    expect(outcomes.map((o) => [o.branch, o.kind === 'reported' ? o.report.status : 'missing'])).toEqual([
      ['1.9.x', 'missing'],
      ['1.10.x', 'published'],
      ['master', 'published'],
    ]);
  });
});
