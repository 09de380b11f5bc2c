// The benchmark runner behind `npm run bench` (started by scripts/bench/run.sh, which brings up the
// engine and builds dist/). It measures the pipeline against scripts/bench/baseline.sh on the bench
// image family (test/fixtures/bench-family) and a local repository of N eligible branches, both
// tools alternately in the same run, and reports medians and ratios. BENCHMARKS.md has the method.
//
// Knobs (environment; defaults are the issue's numbers, `--reduced` picks small ones for checking
// the harness, explicit variables win over both):
//   BENCH_BRANCHES=6  BENCH_REPS=3  BENCH_CPU_SECONDS=10  BENCH_LAYER_MB=50
//   BENCH_CONTEXT_SMALL_MB=10  BENCH_CONTEXT_LARGE_MB=1024  BENCH_COMPILE_UNITS=300
//   BENCH_SCENARIOS=nights,context,compile (default) or any of nights,context,compile,platforms
//   BENCH_MOVED_BRANCH=master  BENCH_CONCURRENCY=(pipeline default)  BENCH_OUT=.bench
//   BENCH_DOCKER=docker  BENCH_KEEP_WORK=0
import { Buffer } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ccacheStats,
  COMPILE_IMAGES,
  hitsOf,
  importSource,
  projectFiles,
  SOURCE_REPO,
  toolchainImage,
  writeCompileFamily,
  writeProject,
} from './compile.js';

// Compiled to dist/scripts/bench/bench.js (tsconfig.build.json): the repository is three levels up.
const root = path.resolve(import.meta.dirname, '..', '..', '..');
const FAMILY = path.join(root, 'test/fixtures/bench-family');
const BENCH_LABEL = 'io.mesos-pipeline.bench-family';
const IMAGES = ['bench-base', 'bench-app'];
const TOOLS: Tool[] = ['baseline', 'pipeline'];
const INDEX_TYPES = [
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
];
// Index types first: a multi-platform tag must answer with its index, not the registry's amd64 pick.
const MANIFEST_TYPES = [
  ...INDEX_TYPES,
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');
// The platforms scenario's two platforms: arm64 runs under the shared stack's qemu emulation here.
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const DEFAULT_SCENARIOS: Scenario[] = ['nights', 'context', 'compile'];

const HELP = `npm run bench [-- --reduced]

Runs the pipeline and the docker-CLI baseline alternately, N repetitions of:
  nights   cold (empty registry) -> warm (next night, nothing moved) -> one moved (one branch has a
           new commit), each night after removing the bench's own images and build cache;
  context  one branch, cold, with the base context grown to BENCH_CONTEXT_SMALL_MB and
           BENCH_CONTEXT_LARGE_MB of files: peak RSS of each tool's process.
  compile  the nights on a real C compiler with the compile cache (ccache).
  platforms (not in the default set: it needs arm64 emulation, and its cold set-up builds under it)
           the family for linux/amd64 + linux/arm64: a cold night as set-up (not a ratio), then warm
           nights: the single run, and the nightly's split path (plan, publish --stage per platform,
           publish --assemble), against a docker-CLI baseline (build + push per platform, then
           docker manifest create/push).
Prints one table and writes it to BENCH_OUT/results.md and, with every sample, results.json.

Environment (defaults: the issue's numbers; --reduced: a quick harness check):
  BENCH_BRANCHES          eligible branches in the bench repository   6   (reduced 2)
  BENCH_REPS              repetitions of every scenario                3   (reduced 1)
  BENCH_CPU_SECONDS       CPU seconds of the base's RUN step           10  (reduced 3)
  BENCH_LAYER_MB          MiB of the base's per-commit layer           50  (reduced 10)
  BENCH_CONTEXT_SMALL_MB  base context, small                          10  (reduced 10)
  BENCH_CONTEXT_LARGE_MB  base context, large                          1024 (reduced 100)
  BENCH_SCENARIOS         nights,context,compile (default); also platforms
  BENCH_COMPILE_UNITS     C translation units per branch (compile)     300 (reduced 40)
  BENCH_MOVED_BRANCH      the branch that gets a new commit            master
  BENCH_CONCURRENCY       passed to the pipeline as --concurrency      (its default)
  BENCH_OUT               output folder                                .bench
  BENCH_DOCKER            docker CLI for the baseline and the cleanup  docker
  BENCH_KEEP_WORK         1 keeps BENCH_OUT/work (repositories, contexts)`;

type Knob =
  | 'BENCH_BRANCHES'
  | 'BENCH_REPS'
  | 'BENCH_CPU_SECONDS'
  | 'BENCH_LAYER_MB'
  | 'BENCH_CONTEXT_SMALL_MB'
  | 'BENCH_CONTEXT_LARGE_MB'
  | 'BENCH_COMPILE_UNITS';

const FULL: Record<Knob, number> = {
  BENCH_BRANCHES: 6,
  BENCH_REPS: 3,
  BENCH_CPU_SECONDS: 10,
  BENCH_LAYER_MB: 50,
  BENCH_CONTEXT_SMALL_MB: 10,
  BENCH_CONTEXT_LARGE_MB: 1024,
  BENCH_COMPILE_UNITS: 300,
};
const REDUCED: Record<Knob, number> = {
  BENCH_BRANCHES: 2,
  BENCH_REPS: 1,
  BENCH_CPU_SECONDS: 3,
  BENCH_LAYER_MB: 10,
  BENCH_CONTEXT_SMALL_MB: 10,
  BENCH_CONTEXT_LARGE_MB: 100,
  BENCH_COMPILE_UNITS: 40,
};

type Scenario = 'nights' | 'context' | 'compile' | 'platforms';
type Tool = 'baseline' | 'pipeline';

interface Config {
  preset: 'full' | 'reduced';
  branches: number;
  branchNames: string[];
  reps: number;
  cpuSeconds: number;
  layerMb: number;
  contextSmallMb: number;
  contextLargeMb: number;
  compileUnits: number;
  scenarios: Scenario[];
  moved: string;
  concurrency: string | undefined;
  out: string;
  docker: string;
  keepWork: boolean;
  registry: string;
  registryLog: string;
}

/** What the pipeline's own report says about a run. */
interface PipelineSummary {
  status: string;
  durationMs: number;
  branches: Record<string, string>;
  buildMs: number;
  smokeMs: number;
  pushMs: number;
}

interface BaselineSummary {
  buildMs: number;
  pushMs: number;
  cleanupMs: number;
  /** With --platform: build and push of each platform, summed over branches. */
  platforms?: Record<string, { buildMs: number; pushMs: number }>;
}

interface Sample {
  scenario: string;
  tool: Tool;
  rep: number;
  namespace: string;
  day: string;
  load: number;
  seconds: number;
  rssKb: number;
  blobUploads: number;
  log: string;
  pipeline?: PipelineSummary;
  baseline?: BaselineSummary;
  contextMb?: number;
  /** ccache's hits and misses in the night (pipeline, compile scenario). */
  ccache?: { hits: number; misses: number };
  /** The split path (platforms scenario): each command's wall time, s, and the critical path. */
  split?: { steps: Record<string, number>; criticalPathS: number };
  problems: string[];
}

interface State {
  logs: string;
  samples: Sample[];
}

interface Row {
  scenario: string;
  measure: string;
  baseline: number | undefined;
  pipeline: number | undefined;
  ratio: number;
  target: string;
  met: boolean | undefined;
  problems: string[];
  baselinePhases?: Record<string, number>;
  pipelinePhases?: Record<string, number>;
  baselineUploads?: number | undefined;
  pipelineUploads?: number;
  maxUploads?: number;
  wallS?: { baseline: number; pipeline: number };
  /** ccache in the pipeline's nights: median hits and misses, and the hit rate. */
  ccache?: { hits: number; misses: number; rate: number };
  /** The split path: median of plan + the slowest stage + assemble, s (stages in parallel). */
  splitCriticalPathS?: number;
}

/** One night's inputs. */
interface NightOptions {
  repo: string;
  family: string;
  namespace: string;
  day: string;
  branch?: string;
  contextMb?: number;
  expect?: (branch: string) => string;
  /** The family's images, when not the bench family's. */
  images?: readonly string[];
  /** Extra arguments of the baseline (image names, its Dockerfile). */
  baselineArgs?: string[];
  /** The compile scenario: ccache's counters are zeroed before and read after a pipeline night. */
  ccache?: { toolchain: string; cacheId: string };
  /** The platforms scenario: every tag must hold an image index. */
  index?: boolean;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  // eslint-disable-next-line no-restricted-syntax -- the bench runner is its own process edge
  process.exit(2);
}

function say(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function readConfig(argv: string[], env: NodeJS.ProcessEnv): Config {
  const unknown = argv.filter((arg) => !['--reduced', '--help', '-h'].includes(arg));
  if (unknown.length > 0) fail(`unknown argument ${unknown[0]}; see --help`);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${HELP}\n`);
    // eslint-disable-next-line no-restricted-syntax -- the bench runner is its own process edge
    process.exit(0);
  }
  const reduced = argv.includes('--reduced');
  const preset = reduced ? REDUCED : FULL;
  const number = (name: Knob, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return preset[name];
    if (!/^\d+$/.test(raw) || Number(raw) < min) fail(`${name}=${raw} must be a whole number >= ${min}`);
    return Number(raw);
  };
  const branches = number('BENCH_BRANCHES', 1);
  if (branches > 20) fail('BENCH_BRANCHES must be at most 20');
  const scenarios = (env.BENCH_SCENARIOS || DEFAULT_SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const known: Scenario[] = [...DEFAULT_SCENARIOS, 'platforms'];
  const isScenario = (name: string): name is Scenario => (known as string[]).includes(name);
  for (const scenario of scenarios)
    if (!isScenario(scenario)) fail(`BENCH_SCENARIOS: unknown scenario ${scenario} (${known.join(', ')})`);
  const concurrency = env.BENCH_CONCURRENCY || undefined;
  if (concurrency !== undefined && !/^\d+$/.test(concurrency))
    fail(`BENCH_CONCURRENCY=${concurrency} must be a whole number`);
  if (!env.DOCKER_HOST)
    fail('DOCKER_HOST is not set; run through scripts/bench/run.sh (npm run bench), which starts the engine');
  if (scenarios.includes('platforms') && !(env.MP_PLATFORMS ?? '').split(',').includes('linux/arm64'))
    fail('BENCH_SCENARIOS=platforms needs arm64 emulation: scripts/engine-up.sh without MP_EMULATE= sets it up');
  const registryLog = env.MP_REGISTRY_LOG;
  if (!registryLog || !existsSync(registryLog))
    fail('MP_REGISTRY_LOG does not name the registry access log; run through scripts/bench/run.sh');
  const branchNames = eligibleNames(branches);
  const moved = env.BENCH_MOVED_BRANCH || 'master';
  if (!branchNames.includes(moved)) fail(`BENCH_MOVED_BRANCH=${moved} is not one of ${branchNames.join(', ')}`);
  return {
    preset: reduced ? 'reduced' : 'full',
    branches,
    branchNames,
    reps: number('BENCH_REPS', 1),
    cpuSeconds: number('BENCH_CPU_SECONDS', 0),
    layerMb: number('BENCH_LAYER_MB', 1),
    contextSmallMb: number('BENCH_CONTEXT_SMALL_MB', 1),
    contextLargeMb: number('BENCH_CONTEXT_LARGE_MB', 1),
    compileUnits: number('BENCH_COMPILE_UNITS', 2),
    scenarios: scenarios.filter(isScenario),
    moved,
    concurrency,
    out: path.resolve(root, env.BENCH_OUT || '.bench'),
    docker: env.BENCH_DOCKER || 'docker',
    keepWork: env.BENCH_KEEP_WORK === '1',
    registry: env.MP_REGISTRY || '127.0.0.1:5000',
    registryLog,
  };
}

/** N eligible branch names, oldest release first, master last: 1.7.x … 1.11.x, master for N = 6. */
function eligibleNames(count: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < count - 1; i += 1) names.push(`1.${7 + i}.x`);
  return [...names, 'master'];
}

// --- processes ----------------------------------------------------------------------------------

interface RunOptions {
  allowFailure?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
}

function run(
  command: string,
  args: string[],
  options: RunOptions = {},
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0 && !options.allowFailure)
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}: ${(result.stderr || '').trim().slice(0, 2000)}`,
    );
  return result;
}

/**
 * Runs one measured command under GNU time, its output to `logFile`. Wall time is measured here;
 * peak RSS (%M, KiB) is what the kernel reports for the process (the largest of it and its
 * descendants), read from outside the process.
 */
function measure(
  command: string,
  args: string[],
  env: Record<string, string>,
  logFile: string,
  stdoutFile?: string,
): Promise<{ code: number | null; seconds: number; rssKb: number }> {
  const timeFile = `${logFile}.time`;
  const log = openSync(logFile, 'w');
  const out = stdoutFile ? openSync(stdoutFile, 'w') : log;
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %M', '-o', timeFile, command, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', out, log],
    });
    child.on('error', reject);
    child.on('close', (code) => {
      closeSync(log);
      if (out !== log) closeSync(out);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const [, rss] = (readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '').split(' ');
      resolve({ code, seconds, rssKb: Number(rss) });
    });
  });
}

// --- the engine: only the bench's own images ------------------------------------------------------

/**
 * Empties the engine of everything the bench built, as a fresh nightly runner would be: every
 * image (tagged, intermediate build cache, pulled) that carries the bench family's label, and any
 * container left on one. Images of anyone else, and the shared busybox base, stay.
 */
function removeBenchImages(config: Config): void {
  const docker = (args: string[], allowFailure = false): { stdout: string } =>
    run(config.docker, args, { allowFailure });
  const containers = docker(['ps', '-a', '-q', '--filter', `label=${BENCH_LABEL}`])
    .stdout.split('\n')
    .filter(Boolean);
  if (containers.length > 0) docker(['rm', '-f', ...containers], true);
  let previous = Infinity;
  for (;;) {
    const ids = [
      ...new Set(
        docker(['images', '-a', '-q', '--no-trunc', '--filter', `label=${BENCH_LABEL}`])
          .stdout.split('\n')
          .filter(Boolean),
      ),
    ];
    if (ids.length === 0) return;
    // A parent cannot go before its children: remove what can go, then go again.
    if (ids.length >= previous)
      throw new Error(`cannot remove the bench's images: ${ids.length} left (${ids.slice(0, 3).join(' ')} …)`);
    previous = ids.length;
    docker(['rmi', '-f', ...ids], true);
  }
}

// --- the registry ---------------------------------------------------------------------------------

function logSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/** Blob upload starts (`POST /v2/<ns>/…/blobs/uploads/`) in the access log since `offset`. */
function blobUploadsSince(file: string, offset: number, namespace: string): number {
  const size = logSize(file);
  const start = size < offset ? 0 : offset; // the log was truncated by a registry restart
  const length = size - start;
  if (length <= 0) return 0;
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, length, start);
  } finally {
    closeSync(fd);
  }
  const needle = `"POST /v2/${namespace}/`;
  return buffer
    .toString('utf8')
    .split('\n')
    .filter((line) => line.includes(needle) && line.includes('/blobs/uploads/')).length;
}

async function manifestOf(
  registry: string,
  repository: string,
  tag: string,
): Promise<{ digest: string; type: string } | undefined> {
  const response = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { Accept: MANIFEST_TYPES },
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`HEAD ${repository}:${tag}: ${response.status}`);
  const digest = response.headers.get('docker-content-digest') ?? undefined;
  const type = (response.headers.get('content-type') ?? '').split(';')[0] ?? '';
  return digest === undefined ? undefined : { digest, type };
}

/** Problems with what a night left in the registry: every dated and floating tag, equal digests. */
async function checkPublished(
  config: Config,
  namespace: string,
  branches: string[],
  day: string,
  images: readonly string[] = IMAGES,
  index = false,
): Promise<string[]> {
  const problems: string[] = [];
  for (const branch of branches) {
    for (const image of images) {
      const repository = `${namespace}/${image}`;
      const dated = await manifestOf(config.registry, repository, `${branch}-${day}`);
      const floating = await manifestOf(config.registry, repository, branch);
      if (!dated) problems.push(`${repository}:${branch}-${day} is missing`);
      else if (dated.digest !== floating?.digest)
        problems.push(
          `${repository}:${branch} is ${floating?.digest ?? 'missing'}, not the dated tag's ${dated.digest}`,
        );
      else if (index && !INDEX_TYPES.includes(dated.type))
        problems.push(`${repository}:${branch}-${day} is a ${dated.type || 'manifest of no type'}, not an image index`);
    }
  }
  return problems;
}

// --- inputs: repository and family copies -------------------------------------------------------

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@mesos-pipeline.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@mesos-pipeline.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

function git(dir: string, ...args: string[]): string {
  return run('git', args, { cwd: dir, env: GIT_ENV }).stdout.trim();
}

/** A repository with the eligible branches, each at a commit of its own. */
function makeRepo(dir: string, branches: string[]): void {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'master');
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'start');
  for (const branch of branches) {
    if (branch !== 'master') git(dir, 'branch', branch, 'master');
  }
  for (const branch of branches) commitOn(dir, branch, `work on ${branch}`);
}

function commitOn(dir: string, branch: string, message: string): string {
  git(dir, 'checkout', '-q', branch);
  writeFileSync(path.join(dir, 'work.txt'), `${message} ${Date.now()} ${randomBytes(4).toString('hex')}\n`);
  git(dir, 'add', 'work.txt');
  git(dir, 'commit', '-q', '-m', message);
  const sha = git(dir, 'rev-parse', 'HEAD');
  git(dir, 'checkout', '-q', 'master');
  return sha;
}

/** A repository whose branches hold the generated C project, each branch its own variant. */
function makeCompileRepo(dir: string, branches: string[], units: number): string[] {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'master');
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'start');
  for (const branch of branches) if (branch !== 'master') git(dir, 'branch', branch, 'master');
  return branches.map((branch, index) => commitProject(dir, branch, projectFiles(units, index)));
}

function commitProject(dir: string, branch: string, files: Record<string, string>): string {
  git(dir, 'checkout', '-q', branch);
  writeProject(dir, files);
  git(dir, 'add', 'src');
  git(dir, 'commit', '-q', '-m', `project on ${branch}`);
  const sha = git(dir, 'rev-parse', 'HEAD');
  git(dir, 'checkout', '-q', 'master');
  return sha;
}

/** A copy of the bench family with this run's compile cost and, optionally, padding in the base context. */
function makeFamily(dir: string, config: Config, padMb: number): string {
  rmSync(dir, { recursive: true, force: true });
  cpSync(FAMILY, dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'bench-base/bench.conf'),
    `# written by scripts/bench/bench.ts\nCPU_SECONDS=${config.cpuSeconds}\nLAYER_MB=${config.layerMb}\n`,
  );
  if (padMb > 0) {
    // Files of 1 MiB (random, so nothing on the way can shrink them) that the build sends but
    // does not COPY: the context grows, the image does not.
    const pad = path.join(dir, 'bench-base/pad');
    for (let i = 0; i < padMb; i += 1) {
      const sub = path.join(pad, String(Math.floor(i / 100)).padStart(3, '0'));
      mkdirSync(sub, { recursive: true });
      writeFileSync(path.join(sub, `part-${String(i).padStart(5, '0')}.bin`), randomBytes(1024 * 1024));
    }
  }
  return dir;
}

/**
 * The bench family for linux/amd64 and linux/arm64, as test/helpers/multi-platform-family.ts makes
 * the fixture family: every image declares both platforms and the base picks its busybox by the
 * target architecture (the engine-up.sh stack builds `mesos-pipeline/busybox:static-<arch>`).
 */
function makePlatformFamily(dir: string, config: Config): string {
  makeFamily(dir, config, 0);
  const imagesFile = path.join(dir, 'images.json');
  const family = JSON.parse(readFileSync(imagesFile, 'utf8')) as { images: Record<string, unknown>[] };
  for (const image of family.images) image.platforms = PLATFORMS;
  writeFileSync(imagesFile, `${JSON.stringify(family, null, 2)}\n`);
  const dockerfile = path.join(dir, 'bench-base/Dockerfile');
  const text = readFileSync(dockerfile, 'utf8');
  const from = 'FROM mesos-pipeline/busybox:static\n';
  if (!text.includes(from)) throw new Error(`${dockerfile} has no line ${from.trim()}`);
  writeFileSync(dockerfile, text.replace(from, 'ARG TARGETARCH\nFROM mesos-pipeline/busybox:static-${TARGETARCH}\n'));
  return dir;
}

// A night's day, counted from today: the nights of a scenario are the two days before and today,
// because publish refuses a --date more than a day ahead.
function dayPlus(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

// --- one measured run -------------------------------------------------------------------------------

function toolCommand(
  tool: Tool,
  config: Config,
  { repo, family, namespace, day, branch, report, baselineArgs }: NightOptions & { report: string },
): { command: string; args: string[]; env: Record<string, string> } {
  const registry = `${config.registry}/${namespace}`;
  if (tool === 'baseline') {
    const args = [
      'scripts/bench/baseline.sh',
      '--repo',
      repo,
      '--registry',
      registry,
      '--images',
      family,
      '--date',
      day,
    ];
    if (branch) args.push('--branch', branch);
    args.push(...(baselineArgs ?? []));
    return { command: 'bash', args, env: { BASELINE_DOCKER: config.docker } };
  }
  const args = [
    'dist/pipeline/main.js',
    'publish',
    '--repo',
    repo,
    '--registry',
    registry,
    '--images',
    family,
    '--date',
    day,
    '--report',
    report,
  ];
  if (branch) args.push('--branch', branch);
  if (config.concurrency) args.push('--concurrency', config.concurrency);
  return { command: process.execPath, args, env: {} };
}

/** What the pipeline's own report says about a run: per-branch status and where the time went. */
interface ReportFile {
  status: string;
  durationMs: number;
  branches: { branch: string; status: string; images: { durations?: Record<string, number> }[] }[];
}

function pipelineSummary(reportFile: string): PipelineSummary | undefined {
  if (!existsSync(reportFile)) return undefined;
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ReportFile;
  const sum = (key: string): number =>
    report.branches.flatMap((b) => b.images).reduce((total, image) => total + (image.durations?.[key] ?? 0), 0);
  return {
    status: report.status,
    durationMs: report.durationMs,
    branches: Object.fromEntries(report.branches.map((b) => [b.branch, b.status])),
    buildMs: sum('buildMs'),
    smokeMs: sum('smokeMs'),
    pushMs: sum('pushMs'),
  };
}

/** The baseline's own per-branch timing lines (`[baseline] timing branch=… build_ms=… push_ms=…`), summed. */
function baselineSummary(logFile: string): BaselineSummary {
  const totals: BaselineSummary = { buildMs: 0, pushMs: 0, cleanupMs: 0 };
  const text = readFileSync(logFile, 'utf8');
  for (const match of text.matchAll(
    /^\[baseline\] timing branch=\S+ build_ms=(\d+) push_ms=(\d+) cleanup_ms=(\d+)$/gm,
  )) {
    totals.buildMs += Number(match[1]);
    totals.pushMs += Number(match[2]);
    totals.cleanupMs += Number(match[3]);
  }
  // With --platform: one line per branch and platform (its builds and per-platform pushes).
  for (const match of text.matchAll(
    /^\[baseline\] platform-timing branch=\S+ platform=(\S+) build_ms=(\d+) push_ms=(\d+)$/gm,
  )) {
    const platforms = (totals.platforms ??= {});
    const entry = (platforms[match[1] as string] ??= { buildMs: 0, pushMs: 0 });
    entry.buildMs += Number(match[2]);
    entry.pushMs += Number(match[3]);
  }
  return totals;
}

/**
 * One "night" of one tool: clean the engine of the bench's images, run, then read the registry's
 * log and state. A failed run stops the bench: its time would mean nothing.
 */
async function night(
  config: Config,
  state: State,
  tool: Tool,
  scenario: string,
  rep: number,
  options: NightOptions,
): Promise<Sample> {
  removeBenchImages(config);
  const name = `${scenario}-r${rep}-${tool}`;
  const logFile = path.join(state.logs, `${name}.log`);
  const report = path.join(state.logs, `${name}.report.json`);
  const { command, args, env } = toolCommand(tool, config, { ...options, report });
  const offset = logSize(config.registryLog);
  // The machine is shared: the load when a sample starts helps to read an outlier.
  const load = round(loadavg()[0] ?? 0, 2);
  say(`${name}: ${tool} → ${options.namespace} (${options.day}), load ${load}`);
  const ccache = tool === 'pipeline' ? options.ccache : undefined;
  if (ccache) await ccacheStats(ccache.toolchain, ccache.cacheId, 'zero');
  const result = await measure(command, args, env, logFile);
  if (result.code !== 0) throw new Error(`${name} exited ${result.code}; see ${logFile}`);
  const counters = ccache ? hitsOf(await ccacheStats(ccache.toolchain, ccache.cacheId, 'read')) : undefined;
  await sleep(1000); // the registry writes its access log line after answering
  const uploads = blobUploadsSince(config.registryLog, offset, options.namespace);
  const branches = options.branch ? [options.branch] : config.branchNames;
  const problems = await checkPublished(
    config,
    options.namespace,
    branches,
    options.day,
    options.images,
    options.index,
  );
  const summary = tool === 'pipeline' ? pipelineSummary(report) : undefined;
  const baselinePhases = tool === 'baseline' ? baselineSummary(logFile) : undefined;
  if (summary && options.expect) {
    for (const branch of branches) {
      const expected = options.expect(branch);
      if (summary.branches[branch] !== expected)
        problems.push(`pipeline: ${branch} was ${summary.branches[branch]}, expected ${expected}`);
    }
  }
  const sample: Sample = {
    scenario,
    tool,
    rep,
    namespace: options.namespace,
    day: options.day,
    load,
    seconds: round(result.seconds, 2),
    rssKb: result.rssKb,
    blobUploads: uploads,
    log: path.relative(root, logFile),
    ...(summary ? { pipeline: summary } : {}),
    ...(baselinePhases ? { baseline: baselinePhases } : {}),
    ...(options.contextMb ? { contextMb: options.contextMb } : {}),
    ...(counters ? { ccache: counters } : {}),
    problems,
  };
  state.samples.push(sample);
  say(
    `${name}: ${sample.seconds}s, peak RSS ${(result.rssKb / 1024).toFixed(0)} MiB, ${uploads} blob ` +
      `uploads${counters ? `, ccache ${counters.hits} hits / ${counters.misses} misses` : ''}` +
      `${problems.length ? `, PROBLEMS: ${problems.join('; ')}` : ''}`,
  );
  return sample;
}

/** Tags of a repository that start with `stage-`: what a stage job leaves until its assemble deletes it. */
async function stagingTags(config: Config, repository: string): Promise<string[]> {
  const response = await fetch(`http://${config.registry}/v2/${repository}/tags/list`);
  if (response.status === 404) return [];
  if (!response.ok) throw new Error(`GET ${repository} tags: ${response.status}`);
  const { tags } = (await response.json()) as { tags: string[] | null };
  return (tags ?? []).filter((tag) => tag.startsWith('stage-'));
}

/**
 * The nightly's split path as one measured "night" of the pipeline: `plan --json`, then
 * `publish --plan --platform P --stage` for each platform (each its own runner in the nightly;
 * here one after the other), then `publish --plan --assemble` of their reports. The night's time is
 * the sum of the four commands (what they cost); the critical path (plan + the slowest stage +
 * assemble, what the nightly waits for when the stages run in parallel) is kept beside it.
 */
async function splitNight(
  config: Config,
  state: State,
  rep: number,
  runId: string,
  options: NightOptions,
): Promise<Sample> {
  removeBenchImages(config);
  const name = `platforms-split-r${rep}-pipeline`;
  const file = (suffix: string): string => path.join(state.logs, `${name}.${suffix}`);
  const offset = logSize(config.registryLog);
  const load = round(loadavg()[0] ?? 0, 2);
  say(
    `${name}: pipeline (plan, ${PLATFORMS.length} stages, assemble) → ${options.namespace} (${options.day}), ` +
      `load ${load}`,
  );
  const node = process.execPath;
  const main = 'dist/pipeline/main.js';
  const env = { MESOS_PIPELINE_RUN_ID: `bench-${runId}-r${rep}` };
  const steps: Record<string, number> = {};
  const step = async (label: string, args: string[], stdoutFile?: string): Promise<void> => {
    const logFile = file(`${label.replace(/\W+/g, '-')}.log`);
    const result = await measure(node, [main, ...args], env, logFile, stdoutFile);
    if (result.code !== 0) throw new Error(`${name}: ${label} exited ${result.code}; see ${logFile}`);
    steps[label] = round(result.seconds, 2);
  };
  const planFile = file('plan.json');
  const registry = `${config.registry}/${options.namespace}`;
  await step(
    'plan',
    [
      'plan',
      '--json',
      '--repo',
      options.repo,
      '--images',
      options.family,
      '--registry',
      registry,
      '--date',
      options.day,
    ],
    planFile,
  );
  const reports: string[] = [];
  for (const platform of PLATFORMS) {
    const report = file(`stage-${platform.split('/')[1]}.report.json`);
    reports.push(report);
    await step(`stage ${platform}`, [
      'publish',
      '--plan',
      planFile,
      '--images',
      options.family,
      '--platform',
      platform,
      '--stage',
      '--report',
      report,
      ...(config.concurrency ? ['--concurrency', config.concurrency] : []),
    ]);
  }
  const assembled = file('report.json');
  await step('assemble', [
    'publish',
    '--plan',
    planFile,
    '--images',
    options.family,
    '--report',
    assembled,
    '--assemble',
    ...reports,
  ]);
  await sleep(1000); // the registry writes its access log line after answering
  const uploads = blobUploadsSince(config.registryLog, offset, options.namespace);
  const branches = config.branchNames;
  const problems = await checkPublished(config, options.namespace, branches, options.day, IMAGES, true);
  for (const image of IMAGES) {
    const left = await stagingTags(config, `${options.namespace}/${image}`);
    if (left.length > 0) problems.push(`${options.namespace}/${image} still has staging tags: ${left.join(', ')}`);
  }
  const summary = pipelineSummary(assembled);
  for (const [index, report] of [...reports, assembled].entries()) {
    const statuses = pipelineSummary(report)?.branches ?? {};
    const what = index < PLATFORMS.length ? `stage ${PLATFORMS[index]}` : 'assemble';
    for (const branch of branches)
      if (statuses[branch] !== 'unchanged')
        problems.push(`pipeline ${what}: ${branch} was ${statuses[branch]}, expected unchanged`);
  }
  const stageTimes = PLATFORMS.map((platform) => steps[`stage ${platform}`] ?? 0);
  const seconds = round(
    Object.values(steps).reduce((total, value) => total + value, 0),
    2,
  );
  const criticalPathS = round((steps.plan ?? 0) + Math.max(...stageTimes) + (steps.assemble ?? 0), 2);
  const sample: Sample = {
    scenario: 'platforms-split',
    tool: 'pipeline',
    rep,
    namespace: options.namespace,
    day: options.day,
    load,
    seconds,
    rssKb: 0,
    blobUploads: uploads,
    log: path.relative(root, file('*')),
    ...(summary ? { pipeline: summary } : {}),
    split: { steps, criticalPathS },
    problems,
  };
  state.samples.push(sample);
  say(
    `${name}: ${seconds}s in all (${Object.entries(steps)
      .map(([label, value]) => `${label} ${value}s`)
      .join(', ')}; critical path ${criticalPathS}s), ${uploads} blob uploads` +
      `${problems.length ? `, PROBLEMS: ${problems.join('; ')}` : ''}`,
  );
  return sample;
}

// --- statistics and the table ---------------------------------------------------------------------

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const at = (index: number): number => sorted[index] as number;
  return sorted.length % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}

function samplesOf(state: State, scenario: string, tool: Tool, contextMb?: number): Sample[] {
  return state.samples.filter(
    (s) => s.scenario === scenario && s.tool === tool && (contextMb === undefined || s.contextMb === contextMb),
  );
}

function timeRow(
  state: State,
  scenario: string,
  label: string,
  target: string,
  limit: number,
  extra: Partial<Row> = {},
  baselineScenario = scenario,
): Row | undefined {
  const baseline = median(samplesOf(state, baselineScenario, 'baseline').map((s) => s.seconds));
  const pipeline = median(samplesOf(state, scenario, 'pipeline').map((s) => s.seconds));
  if (baseline === undefined || pipeline === undefined) return undefined;
  const ratio = pipeline / baseline;
  const problems = [
    ...samplesOf(state, baselineScenario, 'baseline'),
    ...samplesOf(state, scenario, 'pipeline'),
  ].flatMap((s) => s.problems);
  let met = ratio <= limit;
  if (extra.maxUploads !== undefined && (extra.pipelineUploads ?? 0) > extra.maxUploads) met = false;
  // Where the time went (medians of sums over branches and images, seconds): the pipeline's from
  // its report (its pushes overlap the next build), the baseline's from its timing lines.
  const phase = (tool: Tool, key: 'buildMs' | 'smokeMs' | 'pushMs' | 'cleanupMs'): number =>
    round(
      (median(
        samplesOf(state, tool === 'baseline' ? baselineScenario : scenario, tool).map((s) => {
          const phases = (tool === 'pipeline' ? s.pipeline : s.baseline) as Partial<Record<string, number>> | undefined;
          return phases?.[key] ?? 0;
        }),
      ) ?? 0) / 1000,
      1,
    );
  const pipelinePhases = {
    buildS: phase('pipeline', 'buildMs'),
    smokeS: phase('pipeline', 'smokeMs'),
    pushS: phase('pipeline', 'pushMs'),
  };
  const baselinePhases = {
    buildS: phase('baseline', 'buildMs'),
    pushS: phase('baseline', 'pushMs'),
    cleanupS: phase('baseline', 'cleanupMs'),
  };
  return {
    scenario: label,
    measure: 'wall time, s',
    baseline: round(baseline, 1),
    pipeline: round(pipeline, 1),
    ratio: round(ratio, 3),
    target,
    met: problems.length === 0 && met,
    problems,
    baselinePhases,
    pipelinePhases,
    ...extra,
  };
}

function buildRows(state: State, config: Config): Row[] {
  const rows: (Row | undefined)[] = [];
  const nights = config.scenarios.includes('nights');
  if (nights) {
    rows.push(timeRow(state, 'cold', 'cold (empty registry)', '≤ 1.0', 1.0));
    const uploads = (tool: Tool): number[] => samplesOf(state, 'warm', tool).map((s) => s.blobUploads);
    rows.push(
      timeRow(state, 'warm', 'warm (next night, nothing moved)', '≤ 0.05, 0 uploads', 0.05, {
        baselineUploads: median(uploads('baseline')),
        pipelineUploads: Math.max(...uploads('pipeline')),
        maxUploads: 0,
      }),
    );
    rows.push(timeRow(state, 'moved', `one moved (${config.moved}: 1 of ${config.branches} branches)`, '≤ 0.3', 0.3));
  }
  if (config.scenarios.includes('compile')) {
    const what = `${config.compileUnits} C units per branch`;
    for (const [scenario, label, target, limit] of [
      ['compile-cold', `compile: cold, empty cache (${what})`, '≤ 1.0', 1.0],
      ['compile-moved', `compile: one moved (${config.moved}, one file changed)`, '≤ 0.2', 0.2],
      ['compile-warm', 'compile: warm (nothing moved)', '≤ 0.05', 0.05],
    ] as const) {
      const row = timeRow(state, scenario, label, target, limit);
      const counts = samplesOf(state, scenario, 'pipeline').flatMap((s) => (s.ccache ? [s.ccache] : []));
      if (row && counts.length > 0) {
        const hits = median(counts.map((c) => c.hits)) ?? 0;
        const misses = median(counts.map((c) => c.misses)) ?? 0;
        row.ccache = { hits, misses, rate: hits + misses === 0 ? NaN : round(hits / (hits + misses), 3) };
      }
      rows.push(row);
    }
  }
  if (config.scenarios.includes('platforms')) rows.push(...platformRows(state));
  if (config.scenarios.includes('context')) {
    const rss = (tool: Tool, mb: number): number | undefined =>
      median(samplesOf(state, 'context', tool, mb).map((s) => s.rssKb / 1024));
    for (const mb of [config.contextSmallMb, config.contextLargeMb]) {
      const baseline = rss('baseline', mb);
      const pipeline = rss('pipeline', mb);
      if (baseline === undefined || pipeline === undefined) continue;
      const wall = (tool: Tool): number =>
        round(median(samplesOf(state, 'context', tool, mb).map((s) => s.seconds)) ?? 0, 1);
      rows.push({
        scenario: `context ${formatMb(mb)} (1 branch, cold)`,
        measure: 'peak RSS, MiB',
        baseline: round(baseline, 0),
        pipeline: round(pipeline, 0),
        ratio: round(pipeline / baseline, 2),
        target: '',
        met: undefined,
        problems: [
          ...samplesOf(state, 'context', 'baseline', mb),
          ...samplesOf(state, 'context', 'pipeline', mb),
        ].flatMap((s) => s.problems),
        wallS: { baseline: wall('baseline'), pipeline: wall('pipeline') },
      });
    }
    const scale = (rss('pipeline', config.contextLargeMb) ?? NaN) / (rss('pipeline', config.contextSmallMb) ?? NaN);
    if (Number.isFinite(scale))
      rows.push({
        scenario: `context scale: pipeline RSS ${formatMb(config.contextLargeMb)} ÷ ${formatMb(config.contextSmallMb)}`,
        measure: 'ratio',
        baseline: undefined,
        pipeline: undefined,
        ratio: round(scale, 2),
        target: '≤ 1.2',
        met: scale <= 1.2,
        problems: [],
      });
  }
  return rows.filter((row): row is Row => row !== undefined);
}

/**
 * The platforms scenario's rows: the cold set-up (arm64 built under emulation, so not a ratio:
 * the issue benchmarks no emulated cold build), the warm single run and the warm split path, each
 * against the baseline's warm night, and, stricter, the single run against the baseline's amd64
 * work alone (its night without the arm64 builds and pushes, as if a native arm64 runner did them
 * in parallel for free).
 */
function platformRows(state: State): (Row | undefined)[] {
  const seconds = (scenario: string, tool: Tool): number | undefined =>
    median(samplesOf(state, scenario, tool).map((s) => s.seconds));
  const uploads = (scenario: string, tool: Tool): number[] =>
    samplesOf(state, scenario, tool).map((s) => s.blobUploads);
  const baselineCold = seconds('platforms-cold', 'baseline');
  const pipelineCold = seconds('platforms-cold', 'pipeline');
  const cold: Row | undefined =
    baselineCold === undefined || pipelineCold === undefined
      ? undefined
      : {
          scenario: 'platforms: cold set-up (arm64 emulated; not benchmarked)',
          measure: 'wall time, s',
          baseline: round(baselineCold, 1),
          pipeline: round(pipelineCold, 1),
          ratio: NaN,
          target: 'none: set-up only',
          met: undefined,
          problems: [
            ...samplesOf(state, 'platforms-cold', 'baseline'),
            ...samplesOf(state, 'platforms-cold', 'pipeline'),
          ].flatMap((s) => s.problems),
        };
  const warmUploads = (scenario: string): Partial<Row> => ({
    baselineUploads: median(uploads('platforms-warm', 'baseline')),
    pipelineUploads: Math.max(...uploads(scenario, 'pipeline')),
    maxUploads: 0,
  });
  const single = timeRow(
    state,
    'platforms-warm',
    'platforms: warm, single run (amd64 + arm64, index re-tagged)',
    '≤ 0.05, 0 uploads',
    0.05,
    warmUploads('platforms-warm'),
  );
  const split = timeRow(
    state,
    'platforms-split',
    'platforms: warm, split path (plan + stage amd64 + stage arm64 + assemble, summed)',
    '≤ 0.05, 0 uploads',
    0.05,
    warmUploads('platforms-split'),
    'platforms-warm',
  );
  const critical = median(samplesOf(state, 'platforms-split', 'pipeline').map((s) => s.split?.criticalPathS ?? NaN));
  if (split && critical !== undefined) split.splitCriticalPathS = round(critical, 1);
  // The baseline's night without its arm64 builds and pushes: a lower bound for a native setup.
  const amd64Only = median(
    samplesOf(state, 'platforms-warm', 'baseline').map((s) => {
      const arm = s.baseline?.platforms?.['linux/arm64'];
      return s.seconds - (arm ? (arm.buildMs + arm.pushMs) / 1000 : 0);
    }),
  );
  const pipelineWarm = seconds('platforms-warm', 'pipeline');
  const strict: Row | undefined =
    amd64Only === undefined || pipelineWarm === undefined
      ? undefined
      : {
          scenario: 'platforms: warm, single run ÷ the baseline night less its arm64 builds and pushes',
          measure: 'wall time, s',
          baseline: round(amd64Only, 1),
          pipeline: round(pipelineWarm, 1),
          ratio: round(pipelineWarm / amd64Only, 3),
          target: '≤ 0.05 (stricter check)',
          met: pipelineWarm / amd64Only <= 0.05,
          problems: [],
        };
  return [cold, single, split, strict];
}

function formatMb(mb: number): string {
  return mb >= 1024 && mb % 1024 === 0 ? `${mb / 1024} GB` : `${mb} MB`;
}

function renderTable(rows: Row[]): string {
  const cell = (value: string | number | undefined): string =>
    value === undefined || value === null || value === '' || Number.isNaN(value) ? '—' : String(value);
  const lines = [
    '| scenario | measure | baseline (median) | pipeline (median) | pipeline ÷ baseline | blob uploads, ' +
      'warm (baseline median / pipeline max); compile cache | target | met |',
    '|---|---|---:|---:|---:|---|---|---|',
  ];
  for (const row of rows) {
    const uploads =
      row.baselineUploads !== undefined
        ? `${row.baselineUploads} / ${row.pipelineUploads}`
        : row.ccache
          ? `ccache: ${Number.isNaN(row.ccache.rate) ? 'no compile' : `${(row.ccache.rate * 100).toFixed(1)}% hits`} ` +
            `(${row.ccache.hits} hits, ${row.ccache.misses} misses)`
          : '';
    const met = row.met === undefined ? '' : row.met ? 'yes' : row.problems.length ? 'NO (see problems)' : 'NO';
    lines.push(
      `| ${row.scenario} | ${row.measure} | ${cell(row.baseline)} | ${cell(row.pipeline)} | ` +
        `${cell(row.ratio)} | ${cell(uploads)} | ${cell(row.target)} | ${cell(met)} |`,
    );
  }
  return lines.join('\n');
}

// --- the run ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const config = readConfig(process.argv.slice(2), process.env);
  const runId = `${Date.now().toString(36)}`;
  const work = path.join(config.out, 'work', runId);
  const logs = path.join(config.out, 'runs', runId);
  mkdirSync(work, { recursive: true });
  mkdirSync(logs, { recursive: true });
  const state: State = { logs, samples: [] };
  const startedAt = new Date();
  say(
    `run ${runId} (${config.preset}): ${config.branches} branches, ${config.reps} repetition(s), ` +
      `${config.cpuSeconds}s CPU and ${config.layerMb} MiB per base build; scenarios ` +
      `${config.scenarios.join(', ')}; logs in ${path.relative(root, logs)}`,
  );

  const family = makeFamily(path.join(work, 'family'), config, 0);
  const contextFamilies: Record<number, string> = config.scenarios.includes('context')
    ? Object.fromEntries(
        [config.contextSmallMb, config.contextLargeMb].map((mb) => [
          mb,
          makeFamily(path.join(work, `family-${mb}mb`), config, mb),
        ]),
      )
    : {};

  const compile = config.scenarios.includes('compile')
    ? { toolchain: toolchainImage(root), busybox: process.env.MP_BASE_IMAGE || 'mesos-pipeline/busybox:static' }
    : undefined;
  const sources: string[] = [];
  const platformFamily = config.scenarios.includes('platforms')
    ? makePlatformFamily(path.join(work, 'family-platforms'), config)
    : undefined;

  // Ctrl-C reaches the measured command too, which stops and fails the night; the images are
  // still removed below and what was measured so far is still written.
  process.on('SIGINT', () => say('interrupted: stopping after the current command'));
  let failure: string | undefined;
  try {
    for (let rep = 1; rep <= config.reps; rep += 1) {
      // Alternate which tool goes first, so drift on the machine does not favour one of them.
      const order = rep % 2 === 1 ? TOOLS : [...TOOLS].reverse();
      const ns = (tool: Tool, suffix = ''): string => `bench-${runId}-r${rep}-${tool}${suffix}`;
      if (config.scenarios.includes('nights')) {
        const repo = path.join(work, `repo-r${rep}`);
        makeRepo(repo, config.branchNames);
        const common = (tool: Tool, day: string): NightOptions => ({ repo, family, namespace: ns(tool), day });
        for (const tool of order)
          await night(config, state, tool, 'cold', rep, { ...common(tool, dayPlus(-2)), expect: () => 'published' });
        for (const tool of order)
          await night(config, state, tool, 'warm', rep, { ...common(tool, dayPlus(-1)), expect: () => 'unchanged' });
        commitOn(repo, config.moved, `a new commit on ${config.moved}`);
        for (const tool of order)
          await night(config, state, tool, 'moved', rep, {
            ...common(tool, dayPlus(0)),
            expect: (branch) => (branch === config.moved ? 'published' : 'unchanged'),
          });
      }
      if (compile) {
        // A fresh cache per repetition: its first night is cold. The same cache for its three nights.
        const cacheId = `bench-ccache-${runId}-r${rep}`;
        const family = path.join(work, `compile-family-r${rep}`);
        writeCompileFamily(family, compile.toolchain, compile.busybox, cacheId);
        const repo = path.join(work, `repo-r${rep}-compile`);
        const heads = makeCompileRepo(repo, config.branchNames, config.compileUnits);
        for (const sha of heads) importSource(repo, sha, config.docker);
        sources.push(...heads);
        const common = (tool: Tool, day: string): NightOptions => ({
          repo,
          family,
          namespace: ns(tool, '-compile'),
          day,
          images: [COMPILE_IMAGES.base, COMPILE_IMAGES.child],
          baselineArgs: [
            '--base',
            COMPILE_IMAGES.base,
            '--child',
            COMPILE_IMAGES.child,
            '--dockerfile',
            'Dockerfile.baseline',
          ],
          ccache: { toolchain: compile.toolchain, cacheId },
        });
        for (const tool of order)
          await night(config, state, tool, 'compile-cold', rep, {
            ...common(tool, dayPlus(-2)),
            expect: () => 'published',
          });
        const movedIndex = config.branchNames.indexOf(config.moved);
        const moved = commitProject(repo, config.moved, projectFiles(config.compileUnits, movedIndex, 3));
        importSource(repo, moved, config.docker);
        sources.push(moved);
        for (const tool of order)
          await night(config, state, tool, 'compile-moved', rep, {
            ...common(tool, dayPlus(-1)),
            expect: (branch) => (branch === config.moved ? 'published' : 'unchanged'),
          });
        for (const tool of order)
          await night(config, state, tool, 'compile-warm', rep, {
            ...common(tool, dayPlus(0)),
            expect: () => 'unchanged',
          });
      }
      if (platformFamily) {
        const repo = path.join(work, `repo-r${rep}-platforms`);
        makeRepo(repo, config.branchNames);
        const common = (tool: Tool, day: string): NightOptions => ({
          repo,
          family: platformFamily,
          namespace: ns(tool, '-platforms'),
          day,
          index: true,
          baselineArgs: [...PLATFORMS.flatMap((platform) => ['--platform', platform]), '--insecure'],
        });
        // Set-up: the cold night builds arm64 under emulation; it is measured but is no ratio.
        for (const tool of order)
          await night(config, state, tool, 'platforms-cold', rep, {
            ...common(tool, dayPlus(-2)),
            expect: () => 'published',
          });
        // Warm: the baseline's night beside both of the pipeline's (the single run the day before
        // the split path, in date order); the baseline goes first or last by repetition.
        const baselineWarm = (): Promise<Sample> =>
          night(config, state, 'baseline', 'platforms-warm', rep, { ...common('baseline', dayPlus(-1)) });
        if (order[0] === 'baseline') await baselineWarm();
        await night(config, state, 'pipeline', 'platforms-warm', rep, {
          ...common('pipeline', dayPlus(-1)),
          expect: () => 'unchanged',
        });
        await splitNight(config, state, rep, runId, common('pipeline', dayPlus(0)));
        if (order[0] !== 'baseline') await baselineWarm();
      }
      if (config.scenarios.includes('context')) {
        const repo = path.join(work, `repo-r${rep}-context`);
        makeRepo(repo, config.branchNames);
        for (const mb of [config.contextSmallMb, config.contextLargeMb]) {
          for (const tool of order) {
            await night(config, state, tool, 'context', rep, {
              repo,
              family: contextFamilies[mb] as string,
              namespace: ns(tool, `-ctx${mb}`),
              day: dayPlus(0),
              branch: config.moved,
              contextMb: mb,
              expect: () => 'published',
            });
          }
        }
      }
    }
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  } finally {
    try {
      removeBenchImages(config);
      for (const sha of sources) run(config.docker, ['rmi', `${SOURCE_REPO}:${sha}`], { allowFailure: true });
    } catch (error) {
      failure = [failure, `cleanup: ${error instanceof Error ? error.message : String(error)}`]
        .filter(Boolean)
        .join('; ');
    }
    if (!config.keepWork) rmSync(work, { recursive: true, force: true });
  }

  const rows = buildRows(state, config);
  const table = renderTable(rows);
  const finishedAt = new Date();
  const knobs: Record<Knob, number> = {
    BENCH_BRANCHES: config.branches,
    BENCH_REPS: config.reps,
    BENCH_CPU_SECONDS: config.cpuSeconds,
    BENCH_LAYER_MB: config.layerMb,
    BENCH_CONTEXT_SMALL_MB: config.contextSmallMb,
    BENCH_CONTEXT_LARGE_MB: config.contextLargeMb,
    BENCH_COMPILE_UNITS: config.compileUnits,
  };
  const full =
    (Object.entries(FULL) as [Knob, number][]).every(([key, value]) => knobs[key] >= value) &&
    DEFAULT_SCENARIOS.every((scenario) => config.scenarios.includes(scenario));
  const fullSize = (Object.entries(FULL) as [Knob, number][]).every(([key, value]) => knobs[key] >= value);
  const label = full
    ? 'Full run'
    : fullSize
      ? `Full size, scenarios ${config.scenarios.join(', ')} only`
      : 'REDUCED run (smaller than the issue asks; targets are for the full run)';
  const docker = run(config.docker, ['version', '--format', '{{.Server.Version}}'], {
    allowFailure: true,
  }).stdout.trim();
  const heading =
    `${label}: ${config.branches} branches, ${config.reps} repetition(s), base build ` +
    `${config.cpuSeconds} s CPU + ${config.layerMb} MiB layer, context ${formatMb(config.contextSmallMb)} ` +
    `vs ${formatMb(config.contextLargeMb)}; ${cpus().length} CPUs, Docker ${docker}; ` +
    `${startedAt.toISOString()} – ${finishedAt.toISOString()}`;
  const problems = [...(failure ? [`the run stopped early: ${failure}`] : []), ...rows.flatMap((row) => row.problems)];
  const problemList = problems.length ? `\nProblems:\n${problems.map((p) => `- ${p}`).join('\n')}\n` : '';
  const text = `${heading}\n\n${table}\n${problemList}`;
  process.stdout.write(`\n${text}`);
  const commit = run('git', ['rev-parse', 'HEAD'], { cwd: root, allowFailure: true }).stdout.trim();
  const results = {
    version: 1,
    runId,
    label,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    commit,
    ...(failure ? { error: failure } : {}),
    machine: { cpus: cpus().length, memoryMb: Math.round(totalmem() / 1048576), docker },
    config: { ...config, registryLog: undefined },
    rows,
    samples: state.samples,
  };
  writeFileSync(path.join(config.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(config.out, 'results.md'), text);
  say(`wrote ${path.relative(root, path.join(config.out, 'results.json'))} and results.md`);
  if (failure) {
    say(`FAILED: ${failure}`);
    // eslint-disable-next-line no-restricted-syntax -- the bench runner is its own process edge
    process.exit(1);
  }
}

await main();
