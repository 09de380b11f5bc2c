import { resolveCredentials } from '../adapters/credentials.js';
import { RegistryHttp } from '../adapters/registry-http.js';
import { resolvePlanSettings } from '../settings/common-options.js';
import { formatAge, parseDuration } from '../settings/duration.js';
import { checkBranchNames, registryRetryPolicy } from '../settings/registry-options.js';
import { stderrLogger, type Runtime } from '../settings/runtime.js';
import { WorkError } from '../errors.js';
import { loadFamily } from '../family/family.js';
import { paint, type Tone } from '../colour.js';
import { eligibleBranches } from '../plan/branches.js';
import { assessFreshness, type Freshness } from '../registry/freshness.js';

export interface StatusFlags {
  repo?: string;
  branch: string[];
  registry?: string;
  images?: string;
  minVersion?: string;
  maxAge: string;
  json?: boolean;
  verbose?: boolean;
}

function renderTable(rows: readonly Freshness[], colour: boolean): string {
  const lines = [
    ['BRANCH', 'IMAGE', 'NEWEST DATED TAG', 'AGE', 'STATE'],
    ...rows.map((row) => [
      row.branch,
      row.image,
      row.newest?.tag ?? '-',
      row.ageMs === undefined ? '-' : formatAge(row.ageMs),
      row.state,
    ]),
  ];
  const widths = lines[0]?.map((_, column) => Math.max(...lines.map((line) => (line[column] ?? '').length))) ?? [];
  // The state column is last and unpadded, so its colour codes do not shift the columns.
  const tone = (state: string): Tone => (state === 'ok' ? 'good' : state === 'missing' ? 'bad' : 'warn');
  return (
    lines
      .map((line, index) =>
        line
          .map((value, column) =>
            column < line.length - 1
              ? value.padEnd(widths[column] ?? 0)
              : index === 0
                ? value
                : paint(value, tone(value), colour),
          )
          .join('  '),
      )
      .join('\n') + '\n'
  );
}

/**
 * `mesos-pipeline status`: per branch and image, the newest dated tag in the registry and its age.
 * Exit 1 when any is older than --max-age or missing, so a nightly that silently stopped (dropped
 * or disabled schedules, a branch failing night after night) turns into a failure someone sees.
 */
export async function runStatus(flags: StatusFlags, runtime: Runtime): Promise<number> {
  const log = stderrLogger(runtime, { verbose: flags.verbose ?? false });
  const maxAgeMs = parseDuration('--max-age', flags.maxAge);
  // Explicit branches are only checked for their form: status then needs no git at all.
  checkBranchNames(flags.branch);
  const policy = registryRetryPolicy(runtime.env);
  const settings = resolvePlanSettings(flags, runtime);
  const now = new Date(settings.createdAt);
  const family = await loadFamily(settings.imagesDir);
  const branches =
    settings.branches.length > 0
      ? settings.branches
      : eligibleBranches(await runtime.git.listRefs(settings.repo, runtime.signal), settings.minVersion).map(
          (b) => b.branch,
        );

  const credentials = await resolveCredentials(settings.registry.host, runtime.env, {
    clock: runtime.clock,
    signal: runtime.signal,
  });
  runtime.redactor.add(credentials?.password, credentials?.username);
  const registry = new RegistryHttp({
    host: settings.registry.host,
    credentials,
    retry: { policy, log, clock: runtime.clock, signal: runtime.signal },
  });
  const tagsByImage = new Map<string, string[]>();
  for (const image of family.images)
    tagsByImage.set(image.name, await registry.listTags(`${settings.registry.namespace}/${image.name}`));

  const rows = assessFreshness(tagsByImage, branches, now, maxAgeMs);
  if (flags.json) {
    runtime.stdout.write(
      `${JSON.stringify(
        {
          registry: `${settings.registry.host}/${settings.registry.namespace}`,
          checkedAt: settings.createdAt,
          maxAge: flags.maxAge,
          rows,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    runtime.stdout.write(renderTable(rows, runtime.colour?.stdout ?? false));
  }
  const bad = rows.filter((row) => row.state !== 'ok');
  if (bad.length > 0) {
    const list = bad
      .map(
        (row) =>
          `${row.image}:${row.branch} ` +
          `(${row.state === 'missing' ? 'no dated tag' : `${formatAge(row.ageMs ?? 0)} old`})`,
      )
      .join(', ');
    throw new WorkError(
      'status',
      `${bad.length} of ${rows.length} images have no dated tag newer than ${flags.maxAge}: ${list}`,
    );
  }
  log.info(`all ${rows.length} images of ${branches.length} branches have a dated tag newer than ${flags.maxAge}`);
  return 0;
}
