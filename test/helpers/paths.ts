import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const fixtures = path.join(repoRoot, 'test/fixtures');
export const fixtureFamily = path.join(fixtures, 'family');
export const cliPath = path.join(repoRoot, 'dist/pipeline/main.js');
