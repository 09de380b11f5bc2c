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

  it('plan loads none of the engine, registry or GitHub clients', () => {
    const loaded = new Set(
      ['pipeline/commands/plan.ts', 'pipeline/smoke/spec.ts', 'pipeline/settings/common-options.ts'].flatMap(
        (entry) => [...staticPackages(entry).keys()],
      ),
    );
    for (const specifier of loaded)
      expect(['dockerode', '@octokit/rest', 'protobufjs', 'tar-fs', 'tar-stream', 'p-retry', 'yaml']).not.toContain(
        packageName(specifier),
      );
    // date-fns and semver by function, not through their indexes, which load everything.
    expect([...loaded].filter((specifier) => specifier === 'date-fns' || specifier === 'semver')).toEqual([]);
  });

  it('the graph walker sees what a command module loads (no vacuous pass)', () => {
    const packages = [...staticPackages('pipeline/commands/publish.ts').keys()].map(packageName);
    expect(packages).toEqual(expect.arrayContaining(['dockerode', 'zod']));
    expect([...staticPackages('pipeline/commands/report.ts').keys()].map(packageName)).toContain('@octokit/rest');
  });
});
