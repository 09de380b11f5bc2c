import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/paths.js';

// What a command loads before it runs is what every invocation pays for, `--help` included. The
// heavy libraries load only inside the command that needs them (dynamic import() in
// pipeline/cli/run-cli.ts), so the static import graph from the entry point must not reach them.
// The graph is read from the sources: `import type` is erased; `import { type X }` is not (it
// stays as `import {} from`, which loads the module under verbatimModuleSyntax).

const STATIC_IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\bfrom\s*)?['"]([^'"]+)['"]/gm;

/** Every package a module loads, directly or through the project's own modules, before its code runs. */
function staticPackages(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const specifier = match[1] as string;
      if (specifier.startsWith('.')) {
        const target = path.resolve(path.dirname(file), specifier);
        const ts = target.replace(/\.js$/, '.ts');
        visit(existsSync(ts) ? ts : target);
      } else if (!specifier.startsWith('node:') && !packages.has(specifier)) {
        packages.set(specifier, path.relative(repoRoot, file));
      }
    }
  };
  visit(path.join(repoRoot, entry));
  return packages;
}

/** `date-fns/format` -> `date-fns`, `@octokit/rest` -> `@octokit/rest`. */
const packageName = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

const HEAVY = ['dockerode', 'zod', 'date-fns', '@octokit/rest', 'yaml', 'dockerfile-ast', 'protobufjs'];

describe('start-up loads only what the command needs', () => {
  it('the entry point (and so --help, --version and every usage error) loads only commander', () => {
    const packages = staticPackages('pipeline/main.ts');
    expect([...packages.keys()].map(packageName)).toEqual(['commander']);
  });

  it.each(HEAVY)('%s is not on the static import path of --help', (heavy) => {
    const packages = staticPackages('pipeline/main.ts');
    const via = [...packages].filter(([specifier]) => packageName(specifier) === heavy).map(([, file]) => file);
    expect(via).toEqual([]);
  });

  // What run-cli.ts imports for `plan` before it runs it. The checks of the family's inputs (zod,
  // dockerfile-ast, the smoke spec rules) load only for an input the build did not check
  // (pipeline/family/checked-inputs.ts), so they are not on this path either.
  const PLAN_ENTRIES = ['pipeline/commands/plan.ts', 'pipeline/settings/common-options.ts'];
  const planLoads = (): Set<string> => new Set(PLAN_ENTRIES.flatMap((entry) => [...staticPackages(entry).keys()]));

  it('plan loads none of the engine, registry or GitHub clients, and no validation library', () => {
    const loaded = [...planLoads()];
    expect(loaded.map(packageName).filter((name) => HEAVY.includes(name) && name !== 'date-fns')).toEqual([]);
    for (const specifier of loaded)
      expect([
        'dockerode',
        '@octokit/rest',
        'protobufjs',
        'tar-fs',
        'tar-stream',
        'p-retry',
        'yaml',
        'simple-git',
        '@balena/dockerignore',
        'jsonpath-plus',
      ]).not.toContain(packageName(specifier));
    // date-fns and semver by function, not through their indexes, which load everything; and not
    // date-fns's parse or format, which load its locale and token tables (some 80 modules).
    expect(
      loaded.filter((specifier) => ['date-fns', 'semver', 'date-fns/parse', 'date-fns/format'].includes(specifier)),
    ).toEqual([]);
  });

  it('plan loads the smoke spec rules only when it runs them', () => {
    const runCli = readFileSync(path.join(repoRoot, 'pipeline/cli/run-cli.ts'), 'utf8');
    const planHandler = runCli.slice(runCli.indexOf('plan: async'), runCli.indexOf('publish: async'));
    // Awaited inside the validator, not up front with the command's modules.
    expect(planHandler).toMatch(/async \(file: string, text: string\)[^]*?await import\('\.\.\/smoke\/spec\.js'\)/);
    expect(planHandler).not.toMatch(/Promise\.all\(\[[^\]]*smoke\/spec\.js/);
  });

  it('the plan path does reach the family loader, whose checks load on demand (no vacuous pass)', () => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const match of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
        const specifier = match[1] as string;
        const target = path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts');
        if (specifier.startsWith('.') && existsSync(target)) visit(target);
      }
    };
    for (const entry of PLAN_ENTRIES) visit(path.join(repoRoot, entry));
    const files = [...seen].map((file) => path.relative(repoRoot, file));
    expect(files).toEqual(expect.arrayContaining(['pipeline/family/family.ts', 'tags/date.ts']));
    expect(files).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/family-schema|json-config|dockerfile-rules|smoke\/spec\.ts/)]),
    );
  });

  it('the graph walker sees what a command module loads (no vacuous pass)', () => {
    const packages = [...staticPackages('pipeline/commands/publish.ts').keys()].map(packageName);
    expect(packages).toEqual(expect.arrayContaining(['dockerode', 'zod']));
    expect([...staticPackages('pipeline/commands/report.ts').keys()].map(packageName)).toContain('@octokit/rest');
  });
});
