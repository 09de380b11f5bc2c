import path from 'node:path';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { importLayersPlugin, layerProblem } from '../../scripts/lint/import-layers.js';
import { repoRoot } from '../helpers/paths.js';

/** Lints `code` as if it were the file at `relative` with only the layer rule on, as `npm run lint` does. */
function lint(relative: string, code: string): string[] {
  const linter = new Linter({ configType: 'flat' });
  const messages = linter.verify(
    code,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser },
        plugins: { layers: importLayersPlugin },
        rules: { 'layers/import-layers': 'error' },
      },
    ],
    { filename: path.join(repoRoot, relative) },
  );
  return messages.map((m) => m.message);
}

describe('the import-layer rule', () => {
  it.each([
    ['commands/ importing cli/', 'pipeline/commands/planted.ts', "import { runCli } from '../cli/run-cli.js';"],
    ['a type-only upward import', 'pipeline/plan/planted.ts', "import type { X } from '../publish/report.js';"],
    ['a re-export', 'pipeline/settings/planted.ts', "export { x } from '../plan/plan.js';"],
    ['a dynamic import', 'pipeline/publish/planted.ts', "await import('../commands/publish.js');"],
    ['the core importing adapters', 'pipeline/planted.ts', "import { x } from './adapters/clock.js';"],
    ['tags/ importing a feature folder', 'tags/planted.ts', "import { x } from '../pipeline/plan/plan.js';"],
    ['anything importing main.ts', 'pipeline/cli/planted.ts', "import '../main.js';"],
  ])('fails on a planted upward import: %s', (_, file, code) => {
    const messages = lint(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/ may not import .*: it is a layer above \(layers from the bottom: pipeline \+ tags, /);
  });

  it.each([
    ['cli/ importing commands/', 'pipeline/cli/planted.ts', "import { runPublish } from '../commands/publish.js';"],
    ['commands/ importing settings/', 'pipeline/commands/planted.ts', "import { x } from '../settings/duration.js';"],
    ['a folder importing itself', 'pipeline/plan/planted.ts', "import { x } from './plan.js';"],
    ['tags/ importing the core', 'tags/planted.ts', "import { InputError } from '../pipeline/errors.js';"],
    ['main.ts importing cli/', 'pipeline/main.ts', "import { runCli } from './cli/run-cli.js';"],
    ['packages', 'pipeline/plan/planted.ts', "import semver from 'semver';"],
    ['tests, which are not layered', 'test/planted.ts', "import { runCli } from '../pipeline/cli/run-cli.js';"],
  ])('passes %s', (_, file, code) => {
    expect(lint(file, code)).toEqual([]);
  });

  it('names the layers when it fails', () => {
    expect(layerProblem(path.join(repoRoot, 'pipeline/commands/x.ts'), '../cli/program.js', repoRoot)).toBe(
      'pipeline/commands may not import pipeline/cli: it is a layer above (layers from the bottom: pipeline + tags, ' +
        'pipeline/family, pipeline/registry, pipeline/settings, pipeline/smoke, pipeline/plan, pipeline/publish, ' +
        'pipeline/report, pipeline/schemas, pipeline/adapters, pipeline/commands, pipeline/cli, pipeline/main.ts)',
    );
  });

  it('refuses a folder that has no layer, once per file', () => {
    const messages = lint('pipeline/newfolder/x.ts', "import { a } from '../errors.js';\nimport { b } from './y.js';");
    expect(messages).toEqual(['pipeline/newfolder/ has no layer; add it to LAYERS in scripts/lint/import-layers.js']);
  });
});
