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

  it('names the Marathon download, its pinned SHA-1 and where that value was published', () => {
    const dockerfile = readContextFile('mesos-mini', 'Dockerfile');
    const url = /^ARG MARATHON_URL=(\S+)$/m.exec(dockerfile)?.[1] ?? '';
    const sha1 = /^ARG MARATHON_SHA1=(\S+)$/m.exec(dockerfile)?.[1] ?? '';
    expect(url).not.toBe('');
    expect(readme).toContain(url);
    expect(readme).toContain(sha1);
    expect(readme).toContain('dcos/dcos');
    expect(readme).toContain('packages/marathon/buildinfo.json');
    expect(readme).toContain('c36e7a5ddf253ff90c07bc552f08f920617a6848');
  });

  it('no longer says that anything blocks a build', () => {
    for (const text of [readme, readFileSync(path.join(familyDir, '..', 'README.md'), 'utf8')]) {
      expect(text).not.toMatch(
        /not pinned yet|\bblock(ed|s)\b|refuses to (go on|run) (until|without)|must be filled in/i,
      );
    }
  });
});
