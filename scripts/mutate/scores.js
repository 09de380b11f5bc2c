// Prints the mutation score per folder of the mutated set (Markdown), from the JSON reports that
// `npm run mutate` writes (reports/mutation/mutation.json, and reports/mutation-schema/mutation.json
// for spec-schema.ts's own config), or from the reports named as arguments; MUTATION.md records its
// output.
// Score = detected (killed, timed out) / (detected + survived + no coverage), as Stryker counts it;
// compile errors and ignored mutants do not count.
/* global console, process -- Node's own */
import { existsSync, readFileSync } from 'node:fs';
import { unrunSurvivors } from './unrun.js';

const named = process.argv.slice(2);
const reports = named.length > 0 ? named : ['reports/mutation/mutation.json', 'reports/mutation-schema/mutation.json'];
// A later report's file replaces an earlier one's (a file is in one config only).
const files = {};
for (const report of reports) {
  if (named.length === 0 && !existsSync(report)) continue;
  Object.assign(files, JSON.parse(readFileSync(report, 'utf8')).files);
}

// The groups MUTATION.md reports: folders, and the single files of pipeline/ listed one by one.
function groupOf(name) {
  const parts = name.split('/');
  if (parts[0] === 'pipeline' && (parts[1] === 'publish' || parts[1] === 'adapters' || parts.length === 2)) return name;
  return `${parts.slice(0, -1).join('/')}/`;
}

const groups = new Map();
for (const [name, { mutants }] of Object.entries(files)) {
  const group = groupOf(name);
  const counts = groups.get(group) ?? { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0 };
  for (const { status } of mutants) {
    if (status in counts) counts[status] += 1;
    else counts.other += 1;
  }
  groups.set(group, counts);
}

const score = (c) => {
  const detected = c.Killed + c.Timeout;
  const valid = detected + c.Survived + c.NoCoverage;
  return valid === 0 ? '–' : `${((100 * detected) / valid).toFixed(1)} %`;
};
const total = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, other: 0 };
console.log('| Folder or file | Score | Killed | Timed out | Survived | No coverage |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [group, c] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
  for (const key of Object.keys(total)) total[key] += c[key];
  console.log(`| \`${group}\` | ${score(c)} | ${c.Killed} | ${c.Timeout} | ${c.Survived} | ${c.NoCoverage} |`);
}
console.log(
  `| **all** | **${score(total)}** | ${total.Killed} | ${total.Timeout} | ${total.Survived} | ${total.NoCoverage} |`,
);
const unrun = unrunSurvivors(files);
if (unrun.length > 0)
  process.stderr.write(
    `${unrun.length} survivors ran none of their covering tests (a test title that changes between runs?): ` +
      `${unrun.join(', ')}\n`,
  );
