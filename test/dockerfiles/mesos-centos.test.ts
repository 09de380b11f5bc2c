import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildFeatures } from '../../pipeline/family/build-features.js';
import { dockerfileProblems } from '../../pipeline/family/dockerfile-rules.js';
import { writeTree } from '../helpers/temp-files.js';
import { argDefaults, readContextFile, readDockerfile, runs, withDefaults } from './dockerfile-facts.js';

const facts = readDockerfile('mesos-centos');
const [centos, build, runtime] = facts.stages;

describe('dockerfiles/mesos-centos/Dockerfile', () => {
  it('compiles in a build stage and installs into a runtime stage that does not derive from it', () => {
    expect(facts.stages.map((stage) => [stage.name, stage.from])).toEqual([
      ['centos', '${CENTOS_IMAGE}'],
      ['build', 'centos'],
      [undefined, 'centos'],
    ]);
    expect(withDefaults('${CENTOS_IMAGE}', argDefaults(facts))).toMatch(/^centos:7\.9\.2009@sha256:[0-9a-f]{64}$/);
  });

  it('points yum at the CentOS vault in the stage both others start from', () => {
    expect(centos?.steps.map((step) => step.text)).toEqual([
      'rm -f /etc/yum.repos.d/*.repo',
      'centos-vault.repo /etc/yum.repos.d/centos-vault.repo',
    ]);
    const repo = readContextFile('mesos-centos', 'centos-vault.repo');
    const sections = repo.split(/^\[/m).slice(1);
    expect(sections.map((section) => section.split(']')[0])).toEqual(['base', 'updates', 'extras']);
    for (const section of sections) {
      expect(section).toMatch(/^baseurl=http:\/\/vault\.centos\.org\/7\.9\.2009\/\w+\/\$basearch\/$/m);
      expect(section).toMatch(/^gpgcheck=1$/m);
      expect(section).toMatch(/^gpgkey=file:\/\/\/etc\/pki\/rpm-gpg\/RPM-GPG-KEY-CentOS-7$/m);
    }
    expect(repo).not.toMatch(/^(mirrorlist=|baseurl=.*mirror\.centos\.org)/m);
  });

  it('builds exactly GIT_SHA of GIT_REPO and checks that it did', () => {
    for (const arg of ['GIT_REPO', 'GIT_SHA', 'GIT_BRANCH', 'VERSION'])
      expect(build?.args.has(arg), `ARG ${arg}`).toBe(true);
    const checkout = runs(build ?? facts).find((step) => step.text.includes('git checkout'));
    expect(checkout?.text).toContain('git checkout -q --detach "$GIT_SHA"');
    expect(checkout?.text).toMatch(/test "\$\(git rev-parse HEAD\)" = "\$GIT_SHA"$/);
    const make = runs(build ?? facts).find((step) => step.text.includes('make install'));
    expect(make?.text).toContain('make install DESTDIR=/staging');
  });

  it('takes only the staged tree and the package list into the runtime stage, and no build tool', () => {
    const copied = runtime?.steps.filter((step) => step.keyword === 'COPY').map((step) => [step.from, step.args[0]]);
    expect(copied).toEqual([
      ['build', '/runtime-packages.txt'],
      ['build', '/staging/'],
    ]);
    const installs = runs(runtime ?? facts)
      .map((step) => step.text)
      .join('\n');
    expect(installs).toContain('xargs -a /tmp/runtime-packages.txt yum install -y');
    expect(installs).toContain('rm -rf /var/cache/yum /tmp/runtime-packages.txt');
    expect(installs).not.toMatch(/\b(gcc|make|maven|git|autoconf|automake|libtool)\b|-devel\b/);
  });

  it('installs the wrapper, the units and the mesos-slave names people still use', () => {
    const text = build?.steps.map((step) => step.text).join('\n') ?? '';
    expect(text).toContain('mesos-init-wrapper.sh /staging/usr/bin/mesos-init-wrapper');
    expect(text).toContain('chmod 0755 /staging/usr/bin/mesos-init-wrapper');
    expect(text).toContain('ln -s mesos-agent.service /staging/usr/lib/systemd/system/mesos-slave.service');
    expect(text).toContain('ln -s mesos-agent /staging/usr/sbin/mesos-slave');
    for (const role of ['master', 'agent']) {
      expect(readContextFile('mesos-centos', `systemd/mesos-${role}.service`)).toMatch(
        new RegExp(`^ExecStart=/usr/bin/mesos-init-wrapper ${role}$`, 'm'),
      );
    }
    expect(readContextFile('mesos-centos', 'systemd/mesos-agent.service')).toMatch(
      /^Delegate=true$[\s\S]*^KillMode=process$/m,
    );
  });
});

describe('the compile cache of dockerfiles/mesos-centos', () => {
  const text = readContextFile('mesos-centos', 'Dockerfile');

  it('compiles through ccache on one cache mount that every branch shares, capped in size', () => {
    const features = buildFeatures(text);
    expect(features.buildKit).toBe(true);
    // One mount, in the build stage, with a fixed id: no branch, sha or version in it.
    expect(features.cacheMounts).toEqual([{ stage: 1, id: 'mesos-centos-ccache', target: '/var/cache/ccache' }]);
    const make = runs(build ?? facts).find((step) => step.text.includes('make install'));
    expect(make?.text).toContain('../configure CC="ccache gcc" CXX="ccache g++"');
    expect(text).toMatch(/--mount=type=cache,id=mesos-centos-ccache,target=\/var\/cache\/ccache,sharing=shared /);
    const env = build?.steps
      .filter((step) => step.keyword === 'ENV')
      .map((step) => step.text)
      .join(' ');
    expect(env).toContain('CCACHE_DIR=/var/cache/ccache');
    expect(env).toMatch(/CCACHE_MAXSIZE=\d+G/);
    // --no-compile-cache reaches ccache, and the family rules accept the file.
    expect(build?.args.has('CCACHE_DISABLE')).toBe(true);
    expect(dockerfileProblems(text, false)).toEqual([]);
  });

  it('gets ccache from EPEL 7 archive, signature-checked with the key of CentOS epel-release', () => {
    const install = runs(build ?? facts).find((step) => step.text.includes('ccache'));
    expect(install?.text.replace(/\s+/g, ' ')).toMatch(
      /^yum install -y epel-release && rm -f \/etc\/yum\.repos\.d\/epel\.repo /,
    );
    const repo = readContextFile('mesos-centos', 'epel-archive.repo');
    expect(repo).toMatch(/^baseurl=https:\/\/archives\.fedoraproject\.org\/pub\/archive\/epel\/7\/\$basearch\/$/m);
    expect(repo).toMatch(/^gpgcheck=1$/m);
    expect(repo).toMatch(/^gpgkey=file:\/\/\/etc\/pki\/rpm-gpg\/RPM-GPG-KEY-EPEL-7$/m);
    // The cache never reaches the image: the runtime stage takes the staged tree only.
    expect(runtime?.steps.map((step) => step.text).join('\n')).not.toContain('ccache');
  });
});

describe('the version check before the compile', () => {
  // The RUN itself, executed by sh against a fake configure.ac: one-digit assumptions fail here.
  const check = runs(build ?? facts).find((step) => step.text.includes('AC_INIT'))?.text ?? '';
  const verdict = (planned: string, source: string): boolean => {
    const dir = writeTree({ 'configure.ac': `AC_PREREQ([2.61])\nAC_INIT([mesos], [${source}])\n` });
    try {
      execFileSync('sh', ['-c', check], {
        cwd: dir,
        env: { PATH: process.env.PATH, VERSION: planned },
        stdio: 'ignore',
      });
      return true;
    } catch {
      return false;
    }
  };

  it.each([
    ['1.11.x', '1.11.1', true],
    ['1.10.x', '1.10.1', true],
    ['1.7.x', '1.7.3', true],
    ['master', '1.12.0', true],
    ['1.11.0', '1.11.0', true],
    ['1.1.x', '1.11.0', false],
    ['1.11.x', '1.1.0', false],
    ['1.9.x', '1.10.0', false],
    ['1.10.x', '1.1.0', false],
    ['1.11.0', '1.11.1', false],
  ])('VERSION %s with configure.ac saying %s: %s', (planned, source, passes) => {
    expect(check).not.toBe('');
    expect(verdict(planned, source)).toBe(passes);
  });
});
