import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSmokeSpec } from '../../pipeline/smoke/spec.js';
import { familyDir, readContextFile } from './dockerfile-facts.js';

// The user documentation must keep the promises the images and their smoke test keep.
const readme = readFileSync(path.join(familyDir, 'README.md'), 'utf8');

describe('dockerfiles/README.md', () => {
  it("keeps the seed's docker run line, unchanged", () => {
    expect(readme).toContain('docker run --rm --privileged -p 5050:5050 -p 5051:5051 -p 8080:8080 mesos/mesos-mini\n');
  });

  it('shows the very app.json the smoke test posts', () => {
    const shown = /cat >app\.json <<'EOF'\n([\s\S]*?)\nEOF/.exec(readme)?.[1] ?? '';
    const posted = parseSmokeSpec(readContextFile('mesos-mini', 'smoke.json')).serviceTests?.[0]?.steps.find((step) =>
      step.name?.includes('app.json'),
    )?.http?.json;
    expect(JSON.parse(shown)).toEqual(posted);
  });

  it('says how to publish and with which credentials and registry', () => {
    for (const needle of [
      'npm run publish:snapshot',
      'REGISTRY_USERNAME',
      'REGISTRY_PASSWORD',
      'MESOS_PIPELINE_REGISTRY',
      'docker.io/mesos',
    ])
      expect(readme).toContain(needle);
  });

  it('names the Marathon download and whether its digest is pinned, as the Dockerfile has it', () => {
    const dockerfile = readContextFile('mesos-mini', 'Dockerfile');
    const url = /^ARG MARATHON_URL=(\S+)$/m.exec(dockerfile)?.[1] ?? '';
    expect(readme).toContain(url.replace(/^https:\/\/[^/]+/, ''));
    const pinned = /^ARG MARATHON_SHA256=[0-9a-f]{64}$/m.test(dockerfile);
    expect(readme.includes('**not pinned yet**')).toBe(!pinned);
  });
});
