import { describe, expect, it } from 'vitest';
import type { HostDeclaration } from '../../../pipeline/family/family-schema.js';
import {
  ANY_HOST,
  combineNeeds,
  describeHost,
  imageNeeds,
  type BranchHost,
  type HostNeeds,
} from '../../../pipeline/family/host-needs.js';

describe('imageNeeds', () => {
  it.each(['master', '1.11.x'])('is ANY_HOST for an image that declares nothing (%s)', (branch) => {
    expect(imageNeeds(undefined, branch)).toEqual(ANY_HOST);
    expect(imageNeeds({}, branch)).toEqual(ANY_HOST);
  });

  const declared: HostDeclaration = {
    privileged: true,
    kernelModules: ['overlay', 'br_netfilter'],
    branches: { '1.11.x': { privileged: false, cgroupVersions: [1] } },
  };

  // Lists come out sorted and without repeats, so that equal needs compare equal (plans, routing).
  it.each<[string, HostDeclaration, string, HostNeeds]>([
    [
      'cgroup versions in order',
      { cgroupVersions: [2, 1] },
      'master',
      { cgroupVersions: [1, 2], privileged: false, kernelModules: [] },
    ],
    [
      'kernel modules sorted, each once',
      { kernelModules: ['overlay', 'br_netfilter', 'overlay'] },
      'master',
      { cgroupVersions: [1, 2], privileged: false, kernelModules: ['br_netfilter', 'overlay'] },
    ],
    [
      "the image's own declaration on a branch without an override",
      declared,
      'master',
      { cgroupVersions: [1, 2], privileged: true, kernelModules: ['br_netfilter', 'overlay'] },
    ],
    [
      "a branch's override, field by field",
      declared,
      '1.11.x',
      { cgroupVersions: [1], privileged: false, kernelModules: ['br_netfilter', 'overlay'] },
    ],
  ])('gives %s', (_, host, branch, expected) => {
    expect(imageNeeds(host, branch)).toEqual(expected);
  });
});

describe('combineNeeds', () => {
  it('needs what every image needs: versions all can run on, privileged if one is, every module once, sorted', () => {
    const needs: HostNeeds[] = [
      { cgroupVersions: [1, 2], privileged: false, kernelModules: ['overlay', 'br_netfilter'] },
      { cgroupVersions: [2], privileged: true, kernelModules: ['ip_tables', 'overlay'] },
    ];
    expect(combineNeeds(needs)).toEqual({
      cgroupVersions: [2],
      privileged: true,
      kernelModules: ['br_netfilter', 'ip_tables', 'overlay'],
    });
  });

  it('is ANY_HOST for no images', () => {
    expect(combineNeeds([])).toEqual(ANY_HOST);
  });
});

describe('describeHost', () => {
  it.each<[BranchHost, string]>([
    [{ cgroupVersions: [1], privileged: false }, 'cgroup v1'],
    [{ cgroupVersions: [2], privileged: true }, 'cgroup v2, privileged'],
    [{ cgroupVersions: [1, 2], privileged: false }, 'cgroup v1 or v2'],
    // A plan file is read back as written: the order of its list does not change what is said.
    [{ cgroupVersions: [2, 1], privileged: true }, 'cgroup v1 or v2, privileged'],
  ])('%j -> %s', (host, said) => {
    expect(describeHost(host)).toBe(said);
  });
});
