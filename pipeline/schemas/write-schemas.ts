import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jsonSchemaFiles, SCHEMAS_DIR } from './json-schemas.js';

// `npm run schemas`: writes the generated JSON Schemas (run from dist/ after a build).
const root = path.resolve(import.meta.dirname, '../../..');
const dir = path.join(root, SCHEMAS_DIR);
await mkdir(dir, { recursive: true });
for (const [name, text] of jsonSchemaFiles()) {
  await writeFile(path.join(dir, name), text);
  process.stdout.write(`${path.join(SCHEMAS_DIR, name)}\n`);
}
