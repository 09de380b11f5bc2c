import { credentialsProblem } from '../settings/common-options.js';
import { checkBranchNames } from '../settings/registry-options.js';
import { errorMessage, InputError } from '../errors.js';
import { parseDatedTag } from '../registry/dated-tags.js';
import {
  dayProblem,
  formatRegistryTarget,
  isMesosBranch,
  parseImageRef,
  parseRegistryTarget,
  type RegistryTarget,
} from '../../tags/index.js';
import type { Plan, PlannedImage } from './plan.js';

/** One problem of a plan file: where (as zod paths go) and what. */
export interface PlanProblem {
  path: PropertyKey[];
  message: string;
}

/**
 * Every tag of a planned image, with where it sits in the image: the one place that knows how
 * `PlannedImage.tags` is shaped.
 */
export function plannedTags(image: Pick<PlannedImage, 'tags'>): { path: PropertyKey[]; ref: string }[] {
  const { dated, floating, version, also } = image.tags;
  return [
    { path: ['tags', 'dated'], ref: dated },
    { path: ['tags', 'floating'], ref: floating },
    ...(version === undefined ? [] : [{ path: ['tags', 'version'], ref: version }]),
    ...(also ?? []).map((ref, index) => ({ path: ['tags', 'also', index], ref })),
  ];
}

/** What a tag of each role must be: a tampered plan must not move `latest` or another branch's tag. */
function roleProblem(path: PropertyKey[], tag: string, branch: string, date: string): string | undefined {
  const role = path[1];
  if (role === 'dated' && tag !== `${branch}-${date}`) return `the dated tag must be ${branch}-${date}, not "${tag}"`;
  if (role === 'floating' && tag !== branch) return `the floating tag must be ${branch}, not "${tag}"`;
  if (role === 'also' && !(tag === 'latest' && branch === 'master'))
    return `"${tag}" cannot be an extra moving tag of ${branch}: only master also moves latest`;
  return undefined;
}

/** The message of the InputError `check` throws (a validator of the command line), else undefined. */
function problemOf(check: () => unknown, option: string): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    // The validators name their option (`--registry "x": ...`); here the path says where instead.
    return errorMessage(error).startsWith(option) ? errorMessage(error).slice(option.length) : errorMessage(error);
  }
}

function tagProblems(ref: string, image: PlannedImage, branch: string, date: string, target: RegistryTarget): string[] {
  const reference = problemOf(() => parseImageRef(ref), '');
  if (reference) return [reference];
  const parsed = parseImageRef(ref);
  const problems: string[] = [];
  const registry = formatRegistryTarget(target);
  if (parsed.host !== target.host || parsed.repository !== `${target.namespace}/${image.name}`) {
    // The engine pushes with the credentials of the plan's registry, whatever host a tag names.
    const leak =
      parsed.host === target.host
        ? ''
        : `: it would be pushed with the credentials of ${target.host} to ${parsed.host}`;
    problems.push(
      `"${ref}" is not in the plan's registry ${registry}${leak}; every tag of ${image.name} must be ` +
        `${registry}/${image.name}:TAG`,
    );
  }
  // A tag that belongs to another branch or day would move what another publish made.
  const dated = parseDatedTag(parsed.tag);
  if (isMesosBranch(parsed.tag) && parsed.tag !== branch)
    problems.push(`"${ref}" is the floating tag of ${parsed.tag}, not of ${branch}`);
  else if (dated && (dated.branch !== branch || dated.day !== date))
    problems.push(`"${ref}" is a dated tag of ${dated.branch} on ${dated.day}; this plan's is ${branch}-${date}`);
  return problems;
}

/**
 * What the plan's build args and labels must say, as `makePlan` writes them: a plan whose images
 * name another repository or commit than the plan would label and skip-check them wrongly, and
 * could carry credentials past the check of `repo`.
 */
function consistencyProblems(plan: Plan, branchIndex: number): PlanProblem[] {
  const branch = plan.branches[branchIndex] as Plan['branches'][number];
  const problems: PlanProblem[] = [];
  for (const [imageIndex, image] of branch.images.entries()) {
    const at = ['branches', branchIndex, 'images', imageIndex];
    const expected: [string, string, string | undefined, string][] = [
      ['buildArgs', 'GIT_REPO', image.buildArgs.GIT_REPO, plan.repo],
      ['buildArgs', 'GIT_SHA', image.buildArgs.GIT_SHA, branch.sha],
      ['labels', 'org.opencontainers.image.source', image.labels['org.opencontainers.image.source'], plan.repo],
      ['labels', 'org.opencontainers.image.revision', image.labels['org.opencontainers.image.revision'], branch.sha],
    ];
    for (const [kind, key, value, want] of expected) {
      if (value === want) continue;
      const what = want === plan.repo ? "the plan's repo" : `the branch's sha ${branch.sha}`;
      problems.push({ path: [...at, kind, key], message: `must be ${what}` });
    }
  }
  return problems;
}

/**
 * Checks a plan file as the command line is checked, with the same validators: the registry, the
 * registry of every tag (a tag elsewhere would get the registry's credentials through the
 * engine), tag grammar, the repository URL (no credentials), branch names, the day. Pure.
 */
export function planProblems(plan: Plan): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const add = (path: PropertyKey[], message: string | undefined): void => {
    if (message !== undefined) problems.push({ path, message });
  };
  add(['date'], dayProblem(plan.date));
  if (Number.isNaN(Date.parse(plan.createdAt)) || new Date(plan.createdAt).toISOString() !== plan.createdAt)
    add(
      ['createdAt'],
      `"${plan.createdAt}" is not an ISO 8601 UTC instant as plan writes it (for example 2026-11-27T10:00:00.000Z)`,
    );
  add(
    ['repo'],
    problemOf(() => {
      const leak = credentialsProblem(plan.repo);
      if (leak) throw new InputError(leak);
    }, '--repo '),
  );
  const registryProblem = problemOf(() => parseRegistryTarget(plan.registry), '--registry ');
  add(['registry'], registryProblem);
  const target = registryProblem ? undefined : parseRegistryTarget(plan.registry);

  const seen = new Map<string, number>();
  for (const [branchIndex, branch] of plan.branches.entries()) {
    const at = ['branches', branchIndex];
    const branchProblem = problemOf(() => checkBranchNames([branch.branch], 'branch'), 'branch ');
    add([...at, 'branch'], branchProblem);
    const twin = seen.get(branch.branch);
    if (twin !== undefined) add([...at, 'branch'], `"${branch.branch}" is planned twice (also branches[${twin}])`);
    else seen.set(branch.branch, branchIndex);
    try {
      new RegExp(branch.versionPattern);
    } catch (error) {
      add([...at, 'versionPattern'], `not a valid regular expression: ${errorMessage(error)}`);
    }
    problems.push(...consistencyProblems(plan, branchIndex));
    // Tags are checked against the branch's name: with no valid name, that says nothing more.
    if (!target || branchProblem !== undefined) continue;
    for (const [imageIndex, image] of branch.images.entries()) {
      for (const { path, ref } of plannedTags(image)) {
        const messages = tagProblems(ref, image, branch.branch, plan.date, target);
        const tag = messages.length === 0 ? parseImageRef(ref).tag : undefined;
        if (tag !== undefined)
          add([...at, 'images', imageIndex, ...path], roleProblem(path, tag, branch.branch, plan.date));
        for (const message of messages) add([...at, 'images', imageIndex, ...path], message);
      }
    }
  }
  return problems;
}
