// Facts about each supported branch of apache/mesos that the production Dockerfiles depend on,
// read from a clone of github.com/apache/mesos (git cat-file / git show at the commit named). The
// tests check the Dockerfiles' per-branch decisions against them; dockerfiles/README.md cites them.
// When a branch moves, re-read them:
//   git -C mesos cat-file -e <branch>:src/linux/ebpf.cpp
//   git -C mesos show <branch>:support/packaging/centos/mesos.spec | sed -n '/^%configure/,/^$/p'

export interface BranchFacts {
  branch: string;
  /** The branch head the facts were read at. */
  commit: string;
  /** AC_INIT of configure.ac. */
  version: string;
  /** src/linux/ebpf.cpp exists (compiled unconditionally since bbb27f9c8, 2024-05-29). */
  ebpf: boolean;
  /** src/linux/cgroups2.cpp exists: the agent has the cgroups v2 isolator. */
  cgroups2: boolean;
  /**
   * The flags of the `%configure` line of support/packaging/centos/mesos.spec as rpmbuild expands
   * them on el7 (%{launcher_sealing} is --enable-launcher-sealing, %{_with_xfs} is yes).
   */
  specConfigureFlags: string[];
}

const SPEC_1_8_ON = [
  '--enable-optimize',
  '--disable-python-dependency-install',
  '--enable-install-module-dependencies',
  '--enable-launcher-sealing',
  '--enable-libevent',
  '--enable-ssl',
  '--enable-hardening',
  '--enable-xfs-disk-isolator=yes',
];

export const UPSTREAM: readonly BranchFacts[] = [
  {
    branch: '1.7.x',
    commit: 'dcb2e13399a31ae0e0b0a75e327ffbc26128bc50',
    version: '1.7.3',
    ebpf: false,
    cgroups2: false,
    // 1.7.x's spec passes --enable-grpc, which its configure.ac does not define (gRPC is always
    // bundled there; configure only warns about the unknown option), and no launcher sealing.
    specConfigureFlags: [
      '--enable-optimize',
      '--disable-python-dependency-install',
      '--enable-install-module-dependencies',
      '--enable-libevent',
      '--enable-ssl',
      '--enable-grpc',
      '--enable-hardening',
      '--enable-xfs-disk-isolator=yes',
    ],
  },
  {
    branch: '1.8.x',
    commit: '726d46d660f31712b700fa4d06ee5113251e40cd',
    version: '1.8.2',
    ebpf: false,
    cgroups2: false,
    specConfigureFlags: SPEC_1_8_ON,
  },
  {
    branch: '1.9.x',
    commit: '0b223dd0f8d8cb07a551d79eb060af39ef245d0d',
    version: '1.9.1',
    ebpf: false,
    cgroups2: false,
    specConfigureFlags: SPEC_1_8_ON,
  },
  {
    branch: '1.10.x',
    commit: '2c9e829067465f10bab22aba273e1e3a93f60770',
    version: '1.10.1',
    ebpf: false,
    cgroups2: false,
    specConfigureFlags: SPEC_1_8_ON,
  },
  {
    branch: '1.11.x',
    commit: '7017e7905099461c42c8e96c148a31ccb84fe0d2',
    version: '1.11.1',
    ebpf: false,
    cgroups2: false,
    specConfigureFlags: SPEC_1_8_ON,
  },
  {
    branch: 'master',
    commit: 'c1b42f79d157aa900be5cbb0c1023f1479962aa7',
    version: '1.12.0',
    ebpf: true,
    cgroups2: true,
    specConfigureFlags: SPEC_1_8_ON,
  },
];
