import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { repoRoot } from '../helpers/paths.js';

/** The production image family: dockerfiles/<image>/. */
export const familyDir = path.join(repoRoot, 'dockerfiles');

export function contextOf(image: string): string {
  return path.join(familyDir, image);
}

export function readContextFile(image: string, file: string): string {
  return readFileSync(path.join(contextOf(image), file), 'utf8');
}

/** One instruction: keyword, its arguments with line continuations joined, its --from flag. */
export interface Step {
  keyword: string;
  text: string;
  args: string[];
  from?: string;
}

export interface Stage {
  /** `AS name`, if any. */
  name?: string;
  /** The FROM image as written (`${BASE_IMAGE}`, `centos`, ...). */
  from: string;
  steps: Step[];
  /** ARG defaults declared in this stage (undefined: declared without one). */
  args: Map<string, string | undefined>;
}

export interface DockerfileFacts {
  /** ARGs before the first FROM, with their defaults. */
  globalArgs: Map<string, string | undefined>;
  stages: Stage[];
  all: Step[];
}

function argOf(instruction: Instruction): [string, string | undefined] {
  const [assignment = ''] = instruction.getArguments().map((a) => a.getValue());
  const eq = assignment.indexOf('=');
  return eq < 0 ? [assignment, undefined] : [assignment.slice(0, eq), assignment.slice(eq + 1)];
}

export function readDockerfile(image: string): DockerfileFacts {
  const dockerfile = DockerfileParser.parse(readContextFile(image, 'Dockerfile'));
  const globalArgs = new Map<string, string | undefined>();
  const stages: Stage[] = [];
  const all: Step[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    const args = instruction.getArguments().map((a) => a.getValue());
    const fromFlag =
      (instruction as { getFromFlag?: () => { getValue(): string | null } | null }).getFromFlag?.()?.getValue() ??
      undefined;
    const step: Step = {
      keyword,
      text: instruction.getArgumentsContent() ?? '',
      args,
      ...(fromFlag ? { from: fromFlag } : {}),
    };
    all.push(step);
    if (keyword === 'FROM') {
      const as = args.findIndex((a) => a.toUpperCase() === 'AS');
      stages.push({ from: args[0] ?? '', ...(as > 0 ? { name: args[as + 1] } : {}), steps: [], args: new Map() });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) {
      if (keyword === 'ARG') globalArgs.set(...argOf(instruction));
      continue;
    }
    stage.steps.push(step);
    if (keyword === 'ARG') stage.args.set(...argOf(instruction));
  }
  return { globalArgs, stages, all };
}

/** Every ARG default of the file, global and per stage. */
export function argDefaults(facts: DockerfileFacts): Map<string, string | undefined> {
  const defaults = new Map(facts.globalArgs);
  for (const stage of facts.stages) for (const [name, value] of stage.args) defaults.set(name, value);
  return defaults;
}

/** `${NAME}` and `$NAME` replaced by the ARG defaults (unknown names stay as they are). */
export function withDefaults(text: string, defaults: Map<string, string | undefined>): string {
  return text.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (whole, braced: string | undefined, bare: string | undefined) => defaults.get(braced ?? bare ?? '') ?? whole,
  );
}

export function runs(stage: Stage | DockerfileFacts): Step[] {
  return ('all' in stage ? stage.all : stage.steps).filter((step) => step.keyword === 'RUN');
}
