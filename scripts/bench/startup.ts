// `npm run bench:startup`: how long the CLI takes to start, this tree against a baseline checkout
// (default `main`), side by side. Each round runs both trees in turn, the order alternating, so a
// busy machine slows both alike; the result is the ratio of medians (baseline ÷ this tree, so 3.0
// means three times faster). BENCHMARKS.md ("Start-up") has the method and the numbers.
//
//   npm run bench:startup                          # 15 rounds against main
//   npm run bench:startup -- --baseline HEAD~3 --runs 25
//
// Both trees run from their own compiled dist/ with the same node_modules (this tree's), against
// the same local git repository that the script makes in a temp folder. Nothing is contacted:
// `plan` reads git and images.json only.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';

// Compiled to dist/scripts/bench/startup.js (tsconfig.build.json): the repository is three levels up.
const root = path.resolve(import.meta.dirname, '..', '..', '..');

const HELP = `npm run bench:startup [-- --baseline <git ref>] [--runs <n>] [--out <dir>]

Times \`--help\` and \`plan --repo <local repository>\` of this tree and of <git ref> (default: main),
alternately, <n> rounds (default: 15), and prints the medians and their ratios.`;

interface Options {
  baseline: string;
  runs: number;
  out: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { baseline: 'main', runs: 15, out: path.join(root, '.bench') };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${HELP}\n`);
      // eslint-disable-next-line no-restricted-syntax -- the bench runner is its own process edge
      process.exit(0);
    } else if (arg === '--baseline' && value) options.baseline = value;
    else if (arg === '--runs' && value && /^\d+$/.test(value) && Number(value) > 0) options.runs = Number(value);
    else if (arg === '--out' && value) options.out = path.resolve(value);
    else {
      process.stderr.write(`bench:startup: bad argument ${arg ?? ''}\n${HELP}\n`);
      // eslint-disable-next-line no-restricted-syntax -- the bench runner is its own process edge
      process.exit(2);
    }
    i += 1;
  }
  return options;
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`);
  return result.stdout.trim();
}

/** The baseline's sources at `ref`, compiled, with this tree's node_modules. */
function baselineTree(ref: string, out: string): { dir: string; sha: string } {
  const sha = run('git', ['rev-parse', '--verify', `${ref}^{commit}`], root);
  const dir = path.join(out, 'startup', `baseline-${sha.slice(0, 12)}`);
  if (!existsSync(path.join(dir, 'dist/pipeline/main.js'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const archive = spawnSync('git', ['archive', sha], { cwd: root, maxBuffer: 1024 * 1024 * 1024 });
    if (archive.status !== 0) throw new Error(`git archive ${sha} failed: ${archive.stderr.toString()}`);
    const untar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
    if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr.toString()}`);
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], dir);
  }
  return { dir, sha };
}

/** A local Mesos-like repository: master and three release branches. */
function makeRepo(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mp-bench-startup-'));
  const git = (...args: string[]): string =>
    run('git', ['-c', 'user.name=bench', '-c', 'user.email=b@x', ...args], dir);
  git('init', '-q', '-b', 'master');
  for (const branch of ['master', '1.9.x', '1.10.x', '1.11.x']) {
    if (branch !== 'master') git('checkout', '-q', '-b', branch, 'master');
    writeFileSync(path.join(dir, 'VERSION'), branch);
    git('add', 'VERSION');
    git('commit', '-q', '-m', branch);
  }
  return dir;
}

const GNU_TIME = '/usr/bin/time';

interface Sample {
  /** Wall time, ms. */
  wall: number;
  /** User + system CPU time of the process and its children (git), ms; from GNU time when installed. */
  cpu: number | undefined;
}

/**
 * One run of the CLI. The wall time is what users wait; the CPU time is what loading and running
 * cost, and is steadier than the wall time on a busy machine. A failing run fails the benchmark.
 */
function timed(cli: string, args: string[], scratch: string): Sample {
  const cpuFile = path.join(scratch, 'cpu.txt');
  const withTime = existsSync(GNU_TIME);
  const [command, commandArgs] = withTime
    ? [GNU_TIME, ['-f', '%U %S', '-o', cpuFile, process.execPath, cli, ...args]]
    : [process.execPath, [cli, ...args]];
  const started = process.hrtime.bigint();
  const result = spawnSync(command, commandArgs, { encoding: 'utf8', env: { PATH: process.env.PATH } });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${cli} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  const cpu = withTime
    ? readFileSync(cpuFile, 'utf8')
        .trim()
        .split(/\s+/)
        .reduce((sum, seconds) => sum + Number(seconds) * 1000, 0)
    : undefined;
  return { wall, cpu };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  const current = path.join(root, 'dist/pipeline/main.js');
  if (!existsSync(current)) throw new Error(`${current} is missing: run npm run build first`);
  const baseline = baselineTree(options.baseline, options.out);
  const head = run('git', ['rev-parse', '--short=12', 'HEAD'], root);
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no'], root) !== '';
  const repo = makeRepo();
  const scenarios: { name: string; args: string[] }[] = [
    { name: '--help', args: ['--help'] },
    { name: 'plan --repo <local>', args: ['plan', '--repo', repo, '--registry', '127.0.0.1:5000/mesos'] },
  ];
  const trees = [
    { name: 'baseline', cli: path.join(baseline.dir, 'dist/pipeline/main.js') },
    { name: 'this tree', cli: current },
  ];
  const samples = new Map<string, Sample[]>();
  const scratch = mkdtempSync(path.join(tmpdir(), 'mp-bench-time-'));
  const key = (scenario: string, tree: string): string => `${scenario}\u0000${tree}`;
  const started = new Date();
  try {
    // One unmeasured round warms the file cache for both trees.
    for (const scenario of scenarios) for (const tree of trees) timed(tree.cli, scenario.args, scratch);
    for (let round = 0; round < options.runs; round += 1) {
      for (const scenario of scenarios) {
        const order = round % 2 === 0 ? trees : [...trees].reverse();
        for (const tree of order) {
          const list = samples.get(key(scenario.name, tree.name)) ?? [];
          list.push(timed(tree.cli, scenario.args, scratch));
          samples.set(key(scenario.name, tree.name), list);
        }
      }
      process.stderr.write(`round ${round + 1}/${options.runs}\n`);
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
  const rows = scenarios.map((scenario) => {
    const base = samples.get(key(scenario.name, 'baseline')) ?? [];
    const mine = samples.get(key(scenario.name, 'this tree')) ?? [];
    const wall = { baseline: median(base.map((s) => s.wall)), thisTree: median(mine.map((s) => s.wall)) };
    const cpus = [...base, ...mine].every((s) => s.cpu !== undefined);
    const cpu = cpus
      ? { baseline: median(base.map((s) => s.cpu ?? 0)), thisTree: median(mine.map((s) => s.cpu ?? 0)) }
      : undefined;
    return { scenario: scenario.name, wall, cpu, speedup: wall.baseline / wall.thisTree, base, mine };
  });
  const heading =
    `Start-up, ${options.runs} rounds, medians: baseline ${options.baseline} (${baseline.sha.slice(0, 12)}) ` +
    `vs this tree (${head}${dirty ? ', uncommitted changes' : ''}); node ${process.version}, ${cpus().length} CPUs, ` +
    `load ${loadavg()
      .map((load) => load.toFixed(1))
      .join(' ')}; ${started.toISOString()}`;
  const table = [
    heading,
    '',
    '| command | wall, baseline, ms | wall, this tree, ms | speed-up, wall | CPU, baseline, ms | CPU, this tree, ms ' +
      '| speed-up, CPU | target (wall) |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((row) =>
      [
        `\`${row.scenario}\``,
        row.wall.baseline.toFixed(0),
        row.wall.thisTree.toFixed(0),
        `${row.speedup.toFixed(2)}×`,
        row.cpu?.baseline.toFixed(0) ?? '—',
        row.cpu?.thisTree.toFixed(0) ?? '—',
        row.cpu ? `${(row.cpu.baseline / row.cpu.thisTree).toFixed(2)}×` : '—',
        `≥ 3× ${row.speedup >= 3 ? 'met' : 'NOT met'}`,
      ]
        .join(' | ')
        .replace(/^/, '| ')
        .concat(' |'),
    ),
  ].join('\n');
  mkdirSync(options.out, { recursive: true });
  writeFileSync(path.join(options.out, 'startup.md'), `${table}\n`);
  writeFileSync(
    path.join(options.out, 'startup.json'),
    `${JSON.stringify(
      { baseline: { ref: options.baseline, sha: baseline.sha }, head, dirty, started, rows },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`${table}\n`);
}

main();
