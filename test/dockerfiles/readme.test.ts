import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSmokeSpec } from '../../pipeline/smoke/spec.js';
import { argDefaults, familyDir, readContextFile, readDockerfile } from './dockerfile-facts.js';
import { UPSTREAM } from './upstream-facts.js';

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

  it('has a row per supported branch with the head, version and per-branch decisions the tests check', () => {
    for (const facts of UPSTREAM) {
      const row = readme.split('\n').find((line) => line.startsWith(`| ${facts.branch} |`)) ?? '';
      expect(row, facts.branch).toContain(`\`${facts.commit.slice(0, 12)}\``);
      expect(row).toContain(`| ${facts.version} |`);
      expect(row).toContain(facts.ebpf ? '| yes (`src/linux/ebpf.cpp`) |' : '| no |');
      expect(row).toContain(facts.cgroups2 ? 'cgroup v1 or v2, privileged' : 'cgroup v1, privileged');
      expect(row).toContain(
        facts.specConfigureFlags.includes('--enable-grpc') ? '--enable-grpc' : '--enable-launcher-sealing',
      );
    }
  });

  it('says what was verified here and what only a machine with the internet can verify, and how to start', () => {
    expect(readme).toContain('**Verified here, for every branch**');
    expect(readme).toContain('**Only a machine with the internet can verify, per branch**');
    expect(readme).toContain('npm run publish:snapshot -- --branch 1.11.x --no-push --report first-run.json --verbose');
  });

  it('names where every pinned digest was published', () => {
    const defaults = new Map([
      ...argDefaults(readDockerfile('mesos-mini')),
      ...argDefaults(readDockerfile('mesos-centos')),
    ]);
    for (const [arg, source] of [
      ['ZOOKEEPER_SHA512', '1b8d0de8dfaa9b6919583ab39a6f79a120684974'],
      ['KERNEL_HEADERS_SHA256', '00118db48c35e40c801380279f88445ba5600ab1'],
      ['MARATHON_SHA1', 'c36e7a5ddf253ff90c07bc552f08f920617a6848'],
    ] as const) {
      const value = defaults.get(arg) ?? '';
      expect(value, arg).toMatch(/^[0-9a-f]{40,128}$/);
      expect(readme).toContain(source);
      // The value is quoted (in full or by its ends) next to its source.
      expect(readme.includes(value) || readme.includes(`${value.slice(0, 8)}…${value.slice(-7)}`), arg).toBe(true);
    }
  });
});
