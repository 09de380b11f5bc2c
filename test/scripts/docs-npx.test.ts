import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

// In a fresh clone `npx mesos-pipeline` finds no built CLI (dist/ is made by `npm ci`, through the
// prepare script) and npm falls through to the registry, where the name is not ours. So no
// document may show `npx mesos-pipeline` before it has shown `npm ci` (issue 16).

const documents = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(path.join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
].filter((file) => existsSync(path.join(repoRoot, file)));

describe('docs never invite npx mesos-pipeline before npm ci', () => {
  it.each(documents)('%s', (file) => {
    const text = readFileSync(path.join(repoRoot, file), 'utf8');
    const npx = text.indexOf('npx mesos-pipeline');
    if (npx < 0) return;
    const ci = text.search(/\bnpm ci\b/);
    expect(ci, `${file} shows npx mesos-pipeline before any npm ci`).toBeGreaterThanOrEqual(0);
    expect(ci, `${file} shows npx mesos-pipeline before any npm ci`).toBeLessThan(npx);
  });

  it('the bin is the built entry point, which npm ci builds (prepare)', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(pkg.bin).toEqual({ 'mesos-pipeline': 'dist/pipeline/main.js' });
    expect(pkg.scripts.prepare).toBe('npm run build');
    expect(readFileSync(path.join(repoRoot, 'pipeline/main.ts'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });
});
