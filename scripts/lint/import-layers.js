// @ts-check
// The import-layer rule of `npm run lint` (issue 15): the code is layered by folder, and a file may
// import only files of its own layer and of the layers below it, so that no import runs back up
// (commands/ never reaches into cli/, the core never into adapters/). Type-only and dynamic imports
// count too. A folder that has no layer yet is an error: place it before it is used.
import path from 'node:path';

/**
 * From the bottom up. `pipeline` stands for the files directly in pipeline/ (errors, ports, log, ...)
 * except main.ts, the entry point, which sits on top of everything.
 */
export const LAYERS = [
  ['pipeline', 'tags'],
  ['pipeline/family'],
  ['pipeline/registry'],
  ['pipeline/settings'],
  ['pipeline/smoke'],
  ['pipeline/plan'],
  ['pipeline/publish'],
  ['pipeline/report'],
  ['pipeline/schemas'],
  ['pipeline/adapters'],
  ['pipeline/commands'],
  ['pipeline/cli'],
  ['pipeline/main.ts'],
];

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * The layered unit a repository path belongs to (`pipeline/plan`, `tags`, `pipeline/main.ts`), or
 * undefined for code outside the layers (tests, scripts).
 * @param {string} relative a path relative to the repository root, with `/` separators
 * @returns {string | undefined}
 */
export function unitOf(relative) {
  const parts = relative.split('/');
  if (parts[0] === 'tags') return 'tags';
  if (parts[0] !== 'pipeline' || parts.length < 2) return undefined;
  if (parts.length === 2) return relative === 'pipeline/main.ts' ? relative : 'pipeline';
  return `pipeline/${parts[1]}`;
}

/**
 * The layer index of a unit, or -1 when no layer holds it.
 * @param {string} unit
 */
export function layerOf(unit) {
  return LAYERS.findIndex((units) => units.includes(unit));
}

/**
 * Why importing `specifier` from `file` breaks the layering, or undefined when it does not.
 * @param {string} file absolute path of the importing file
 * @param {string} specifier the import's module specifier
 * @param {string} [root] the repository root
 * @returns {string | undefined}
 */
export function layerProblem(file, specifier, root = ROOT) {
  const from = unitOf(path.relative(root, file).split(path.sep).join('/'));
  if (from === undefined) return undefined;
  const fromLayer = layerOf(from);
  if (fromLayer < 0) return undefined; // reported once, by unplacedProblem
  if (!specifier.startsWith('.')) return undefined;
  const target = path
    .relative(root, path.resolve(path.dirname(file), specifier))
    .split(path.sep)
    .join('/');
  const to = unitOf(target.replace(/\.js$/, '.ts'));
  if (to === undefined || to === from) return undefined;
  const toLayer = layerOf(to);
  if (toLayer < 0) return `${to}/ has no layer; add it to LAYERS in scripts/lint/import-layers.js`;
  if (toLayer <= fromLayer) return undefined;
  return (
    `${from} may not import ${to}: it is a layer above (layers from the bottom: ` +
    `${LAYERS.map((l) => l.join(' + ')).join(', ')})`
  );
}

/**
 * Why `file` is outside the layering although it is layered code: its folder has no layer.
 * @param {string} file absolute path
 * @param {string} [root] the repository root
 * @returns {string | undefined}
 */
export function unplacedProblem(file, root = ROOT) {
  const unit = unitOf(path.relative(root, file).split(path.sep).join('/'));
  if (unit === undefined || layerOf(unit) >= 0) return undefined;
  return `${unit}/ has no layer; add it to LAYERS in scripts/lint/import-layers.js`;
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'each folder imports only its own layer and the layers below it' },
    schema: [],
  },
  create(context) {
    /** @param {import('estree').Node} node @param {unknown} source */
    const check = (node, source) => {
      if (typeof source !== 'string') return;
      const problem = layerProblem(context.filename, source);
      if (problem) context.report({ node, message: problem });
    };
    return {
      Program: (node) => {
        const problem = unplacedProblem(context.filename);
        if (problem) context.report({ node, message: problem });
      },
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => check(node, node.source?.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source.value : undefined),
      /** `import('../x.js').T` in a type position. @param {any} node */
      TSImportType: (node) => check(node, node.argument?.literal?.value ?? node.source?.value),
    };
  },
};

export const importLayersPlugin = { rules: { 'import-layers': rule } };
