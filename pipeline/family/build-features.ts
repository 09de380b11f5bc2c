import { DockerfileParser, type Dockerfile } from 'dockerfile-ast';

// Loading a family reads each Dockerfile through several rules (these features, the pipeline's
// own rules, download pins); parsing is most of their cost, so each text is parsed once. The
// parsed form is only read, never changed.
const parsed = new Map<string, Dockerfile>();

/** The parsed Dockerfile of `text`, shared by every reader of the same text. */
export function parseDockerfile(text: string): Dockerfile {
  let dockerfile = parsed.get(text);
  if (!dockerfile) {
    if (parsed.size >= 32) parsed.clear();
    dockerfile = DockerfileParser.parse(text);
    parsed.set(text, dockerfile);
  }
  return dockerfile;
}

/** A `RUN --mount=type=cache` of a Dockerfile: the compile cache lives there between builds. */
export interface CacheMount {
  /** Index of the stage (FROM) the mount is used in. */
  stage: number;
  id: string;
  target: string;
}

export interface BuildFeatures {
  /** The classic builder cannot build this Dockerfile; `reasons` says why. */
  buildKit: boolean;
  reasons: string[];
  cacheMounts: CacheMount[];
  /** Per stage: the ARG names it declares. */
  stageArgs: string[][];
}

// Instruction flags only BuildKit knows (the classic builder of Docker 20.10 fails on them).
const BUILDKIT_FLAGS: Record<string, string[]> = {
  RUN: ['mount', 'network', 'security'],
  COPY: ['link', 'chmod', 'parents', 'exclude'],
  ADD: ['link', 'chmod', 'checksum', 'keep-git-dir', 'exclude'],
};

/** What a Dockerfile needs from the builder, read from its instructions (no I/O). */
export function buildFeatures(text: string): BuildFeatures {
  const dockerfile = parseDockerfile(text);
  const reasons = new Set<string>();
  const cacheMounts: CacheMount[] = [];
  const stageArgs: string[][] = [];
  if (dockerfile.getDirectives().some((directive) => directive.getName().toLowerCase() === 'syntax'))
    reasons.add('a # syntax directive');
  let stage = -1;
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      stage += 1;
      stageArgs.push([]);
      continue;
    }
    if (keyword === 'ARG' && stage >= 0) {
      const name = instruction.getArguments()[0]?.getValue().split('=')[0];
      if (name) stageArgs[stage]?.push(name);
      continue;
    }
    const known = BUILDKIT_FLAGS[keyword];
    if (!known || !('getFlags' in instruction)) continue;
    const flags = (instruction as unknown as { getFlags(): FlagLike[] }).getFlags();
    for (const flag of flags) {
      const name = flag.getName();
      if (!known.includes(name)) continue;
      reasons.add(`${keyword} --${name}`);
      if (keyword !== 'RUN' || name !== 'mount') continue;
      const options = new Map(flag.getOptions().map((option) => [option.getName(), option.getValue() ?? '']));
      if ((options.get('type') ?? 'bind') !== 'cache') continue;
      const target = options.get('target') ?? options.get('dst') ?? options.get('destination') ?? '';
      cacheMounts.push({ stage, id: options.get('id') ?? target, target });
    }
  }
  return { buildKit: reasons.size > 0, reasons: [...reasons], cacheMounts, stageArgs };
}

interface FlagLike {
  getName(): string;
  getOptions(): { getName(): string; getValue(): string | null }[];
}

/** The build arg `--no-compile-cache` sets: ccache then calls the compiler and neither reads nor writes. */
export const COMPILE_CACHE_OFF_ARG = 'CCACHE_DISABLE';
