import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFeatures } from '../../pipeline/family/build-features.js';
import { dockerfileProblems } from '../../pipeline/family/dockerfile-rules.js';
import { writeTree } from '../helpers/temp-files.js';
import { argDefaults, contextOf, readContextFile, readDockerfile, runs, withDefaults } from './dockerfile-facts.js';
import { UPSTREAM } from './upstream-facts.js';

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

describe('Linux UAPI headers for trees that compile src/linux/ebpf.cpp', () => {
  const buildRuns = runs(build ?? facts);
  const headers = buildRuns.find((step) => step.text.includes('$KERNEL_HEADERS_URL'));
  const defaults = argDefaults(facts);

  it('installs a pinned kernel.org release of at least 5.6 (BPF_F_REPLACE), checked by its published sha256', () => {
    const url = defaults.get('KERNEL_HEADERS_URL') ?? '';
    const [, major = '0', minor = '0'] = /\/linux-(\d+)\.(\d+)(?:\.\d+)?\.tar\.xz$/.exec(url) ?? [];
    expect(url).toMatch(/^https:\/\/cdn\.kernel\.org\/pub\/linux\/kernel\/v\d+\.x\/linux-[\d.]+\.tar\.xz$/);
    expect(Number(major) * 1000 + Number(minor)).toBeGreaterThanOrEqual(5006);
    // The value kernel.org's v5.x/sha256sums.asc lists for linux-5.10.233.tar.xz (dockerfiles/README.md).
    expect(defaults.get('KERNEL_HEADERS_SHA256')).toBe(
      '239e57280f8c9159187e383d7b730d29f5cc8e1b30be218f004e0c90d1137f52',
    );
  });

  it('decides from the checked-out tree: after the checkout, before configure, only when ebpf.cpp exists', () => {
    const at = (needle: string): number => buildRuns.findIndex((step) => step.text.includes(needle));
    expect(at('$KERNEL_HEADERS_URL')).toBeGreaterThan(at('git checkout -q --detach "$GIT_SHA"'));
    expect(at('$KERNEL_HEADERS_URL')).toBeLessThan(at('../configure'));
    expect(headers?.text).toMatch(/^if \[ -e src\/linux\/ebpf\.cpp \]; then /);
    const otherwise = headers?.text.split(/\belse\b/)[1] ?? '';
    expect(otherwise).not.toMatch(/curl|make|tar/);
    // configure (and so make) searches the new headers before CentOS 7's /usr/include.
    expect(buildRuns[at('../configure')]?.text).toContain(
      'if [ -d /opt/kernel-headers/include ]; then export CPPFLAGS="-isystem /opt/kernel-headers/include"; fi',
    );
  });

  // The RUN itself, run by sh in a fake tree per branch, with curl, tar and make replaced by
  // recorders; sha256sum is real. Its /tmp paths are moved into the test's own folder.
  const shims = {
    'bin/curl':
      '#!/bin/sh\n# curl -fsSL URL -o FILE\necho "curl $2" >>"$LOG"; printf \'linux sources from %s\\n\' "$2" >"$4"\n',
    'bin/tar': '#!/bin/sh\necho "tar $*" >>"$LOG"\n',
    'bin/make': '#!/bin/sh\necho "make $*" >>"$LOG"\n',
  };
  const URL = 'https://cdn.kernel.org/pub/linux/kernel/v5.x/linux-5.10.233.tar.xz';
  const DIGEST = createHash('sha256').update(`linux sources from ${URL}\n`).digest('hex');

  function runHeadersStep(
    tree: Record<string, string>,
    digest: string,
    extra: Record<string, string> = {},
  ): { status: number | null; log: string } {
    const dir = writeTree({ ...shims, ...Object.fromEntries(Object.entries(tree).map(([f, c]) => [`src/${f}`, c])) });
    for (const shim of Object.keys(shims)) chmodSync(path.join(dir, shim), 0o755);
    mkdirSync(path.join(dir, 'tmp'));
    const script = (headers?.text ?? 'exit 99').replaceAll('/tmp/', `${dir}/tmp/`);
    const result = spawnSync('sh', ['-c', script], {
      cwd: path.join(dir, 'src'),
      encoding: 'utf8',
      env: {
        PATH: `${dir}/bin:${process.env.PATH ?? ''}`,
        LOG: path.join(dir, 'log'),
        KERNEL_HEADERS_URL: URL,
        KERNEL_HEADERS_SHA256: digest,
        ...extra,
      },
    });
    const log = existsSync(path.join(dir, 'log')) ? readFileSync(path.join(dir, 'log'), 'utf8') : '';
    const leftovers = readdirSync(path.join(dir, 'tmp'));
    rmSync(dir, { recursive: true, force: true });
    return { status: result.status, log: log.replaceAll(dir, '<dir>') + leftovers.map((f) => `left: ${f}\n`).join('') };
  }

  it.each(UPSTREAM.map((facts) => [facts.branch, facts] as const))(
    '%s: headers installed exactly when the tree has src/linux/ebpf.cpp',
    (_, facts) => {
      const tree = {
        'configure.ac': `AC_INIT([mesos], [${facts.version}])\n`,
        ...(facts.ebpf ? { 'src/linux/ebpf.cpp': '' } : {}),
      };
      const { status, log } = runHeadersStep(tree, DIGEST);
      expect(status).toBe(0);
      expect(log).toBe(
        facts.ebpf
          ? `curl ${URL}\ntar -xJf <dir>/tmp/linux.tar.xz -C <dir>/tmp/linux --strip-components=1\n` +
              'make -C <dir>/tmp/linux headers_install ARCH=x86_64 INSTALL_HDR_PATH=/opt/kernel-headers\n'
          : '',
      );
    },
  );

  it.each([
    ['amd64', 'x86_64'],
    ['arm64', 'arm64'],
  ])('for TARGETARCH %s installs the headers of kernel ARCH %s', (targetArch, kernelArch) => {
    const { status, log } = runHeadersStep({ 'src/linux/ebpf.cpp': '' }, DIGEST, { TARGETARCH: targetArch });
    expect(status).toBe(0);
    expect(log).toContain(`headers_install ARCH=${kernelArch} INSTALL_HDR_PATH=/opt/kernel-headers\n`);
  });

  it('refuses an architecture it has no kernel ARCH for', () => {
    const { status, log } = runHeadersStep({ 'src/linux/ebpf.cpp': '' }, DIGEST, { TARGETARCH: 's390x' });
    expect(status).not.toBe(0);
    expect(log).toBe('');
  });

  it('stops before unpacking when the download is not the pinned file', () => {
    const { status, log } = runHeadersStep({ 'src/linux/ebpf.cpp': '' }, '0'.repeat(64));
    expect(status).not.toBe(0);
    expect(log).toBe(`curl ${URL}\nleft: linux.tar.xz\n`);
  });
});

describe('configure flags: those of the el7 RPM spec of the same branch', () => {
  const script = path.join(contextOf('mesos-centos'), 'configure-flags.sh');
  const configure = runs(build ?? facts).find((step) => step.text.includes('../configure'))?.text ?? '';

  /** A mesos.spec whose %configure line is written the way upstream's is, macros and all. */
  function specOf(flags: readonly string[]): string {
    const words = flags.map((flag) =>
      flag === '--enable-launcher-sealing'
        ? '%{launcher_sealing}'
        : flag.replace(/^(--enable-xfs-disk-isolator=)yes$/, '$1%{_with_xfs}'),
    );
    return [
      '%build',
      ...(flags.includes('--enable-launcher-sealing')
        ? ['%{!?el6:%define launcher_sealing --enable-launcher-sealing}']
        : []),
      '%configure \\',
      ...words.map((word, index) => `    ${word}${index < words.length - 1 ? ' \\' : ''}`),
      '%make_build %{?_smp_mflags} V=0',
      '',
    ].join('\n');
  }

  function flagsOf(spec: string): { status: number | null; stdout: string; stderr: string } {
    const dir = writeTree({ 'mesos.spec': spec });
    const result = spawnSync('sh', [script, path.join(dir, 'mesos.spec')], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr.replaceAll(dir, '<dir>') };
  }

  it.each(UPSTREAM.map((facts) => [facts.branch, facts] as const))(
    '%s: exactly the flags its spec passes on el7',
    (_, facts) => {
      const result = flagsOf(specOf(facts.specConfigureFlags));
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual(facts.specConfigureFlags);
    },
  );

  it('gives module authors the headers and bundled libraries on every branch, and launcher sealing from 1.8.x', () => {
    for (const facts of UPSTREAM) {
      expect(facts.specConfigureFlags).toContain('--enable-install-module-dependencies');
      expect(facts.specConfigureFlags.includes('--enable-launcher-sealing')).toBe(facts.branch !== '1.7.x');
    }
  });

  it.each([
    [
      'a macro it does not know',
      specOf(['--enable-ssl', '--with-foo=%{_foo}']),
      /cannot tell what --with-foo=%\{_foo\} is on el7/,
    ],
    ['no %configure line', '%build\nmake\n', /has no %configure line/],
    [
      'a word that is not a flag',
      specOf(['--enable-ssl', 'CFLAGS=-O0']),
      /"CFLAGS=-O0" on the %configure line is not a --flag/,
    ],
    ['no spec at all', undefined, /no RPM spec at/],
  ])('stops the build on %s', (_, spec, message) => {
    const result =
      spec === undefined ? spawnSync('sh', [script, '/nonexistent/mesos.spec'], { encoding: 'utf8' }) : flagsOf(spec);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('passes those flags to configure, and fails the build when they cannot be read', () => {
    expect(configure).toMatch(
      /spec_flags=\$\(sh \/usr\/local\/bin\/configure-flags\.sh support\/packaging\/centos\/mesos\.spec\) +&&/,
    );
    expect(configure).toMatch(/\.\.\/configure [^&]*\$spec_flags --disable-python/);
    expect(
      build?.steps.some(
        (step) => step.keyword === 'COPY' && step.text === 'configure-flags.sh /usr/local/bin/configure-flags.sh',
      ),
    ).toBe(true);
    // The headers and pkg-config file module authors build against stay in the image.
    expect(build?.steps.map((step) => step.text).join('\n')).not.toMatch(/rm -rf \/staging\/usr\/include|pkgconfig/);
  });
});

describe('the cgroup versions the built Mesos supports, for mesos-mini', () => {
  const step = runs(build ?? facts).find((candidate) => candidate.text.includes('cgroup-versions'))?.text ?? '';

  it('is read from the built libmesos after make install, not guessed from the branch name', () => {
    const at = (needle: string): number => runs(build ?? facts).findIndex((s) => s.text.includes(needle));
    expect(at('cgroup-versions')).toBeGreaterThan(at('make install DESTDIR=/staging'));
    expect(step).toContain('grep -q -a cgroups2-isolator /staging/usr/lib64/libmesos.so');
  });

  it.each(UPSTREAM.map((facts) => [facts.branch, facts] as const))('%s: %o', (_, facts) => {
    // A stand-in libmesos: bytes around the name the cgroups v2 isolator's process has in master.
    const library = `\u007fELF...${facts.cgroups2 ? 'cgroups2-isolator\u0000' : ''}cgroups-isolator\u0000...`;
    const dir = writeTree({ 'usr/lib64/libmesos.so': library });
    const result = spawnSync('sh', ['-c', step.replaceAll('/staging/', `${dir}/`)], { encoding: 'utf8' });
    const written = readFileSync(path.join(dir, 'usr/share/mesos/cgroup-versions'), 'utf8');
    rmSync(dir, { recursive: true, force: true });
    expect(result.status).toBe(0);
    expect(written).toBe(facts.cgroups2 ? '1 2\n' : '1\n');
  });
});
