import { describe, expect, it } from 'vitest';
import { argDefaultsOf, downloadsOf } from '../../pipeline/family/download-pins.js';
import { readContextFile } from './dockerfile-facts.js';

// Every pinned download of the production Dockerfiles is right for every declared platform
// (linux/amd64 and linux/arm64): a file that differs per architecture is fetched by TARGETARCH and
// pinned once per architecture; any other says in a comment that it is architecture-independent.
const files = [
  ['mesos-centos', readContextFile('mesos-centos', 'Dockerfile')],
  ['mesos-mini', readContextFile('mesos-mini', 'Dockerfile')],
] as const;

/** The comment lines and ARGs just above a download's URL ARG, up to the previous RUN. */
function preamble(dockerfile: string, urlArg: string): string {
  const lines = dockerfile.split('\n');
  const at = lines.findIndex((line) => line.startsWith(`ARG ${urlArg}=`));
  let start = at;
  while (start > 0 && /^(#|ARG |COPY |$)/.test(lines[start - 1] ?? '')) start -= 1;
  // The lines between the URL ARG and the RUN (pins, and comments about them) count too.
  let end = at;
  while (end < lines.length - 1 && /^(#|ARG )/.test(lines[end + 1] ?? '')) end += 1;
  return lines.slice(start, end + 1).join('\n');
}

describe.each(files)('%s: pinned downloads per platform', (_, dockerfile) => {
  const downloads = downloadsOf(dockerfile);
  const defaults = argDefaultsOf(dockerfile);

  it('has downloads to check (the rules below are not vacuous)', () => {
    expect(downloads.length).toBeGreaterThan(0);
    for (const download of downloads) expect(download.urlArg).toBeDefined();
  });

  it.each(downloads.map((download) => [download.urlArg ?? '', download] as const))(
    '%s: per-architecture pins picked by TARGETARCH, or said to be architecture-independent',
    (urlArg, download) => {
      const url = defaults.get(urlArg) ?? '';
      const perArch = /\$\{?TARGETARCH/.test(url);
      const text = preamble(dockerfile, urlArg);
      if (!perArch) {
        expect(text).toMatch(/architecture-independent/i);
        return;
      }
      // One pin per architecture, each a well-formed and different digest, chosen by TARGETARCH.
      for (const check of download.checks) {
        // downloadsOf names the pin of the build's architecture (amd64 by default): the arg it stands for.
        const arg = check.arg.replace(/_(AMD64|ARM64)$/, '');
        const amd = defaults.get(`${arg}_AMD64`) ?? '';
        const arm = defaults.get(`${arg}_ARM64`) ?? '';
        expect(amd).toMatch(/^[0-9a-f]{64}$/);
        expect(arm).toMatch(/^[0-9a-f]{64}$/);
        expect(amd).not.toBe(arm);
        expect(download.run).toMatch(new RegExp(`amd64\\) ${arg}=\\$${arg}_AMD64`));
        expect(download.run).toMatch(new RegExp(`arm64\\) ${arg}=\\$${arg}_ARM64`));
      }
      expect(text).not.toMatch(/architecture-independent/i);
    },
  );
});

describe('the CentOS base', () => {
  it('is pinned by the digest of its image index, which names an arm64 image (said where it is pinned)', () => {
    const dockerfile = readContextFile('mesos-centos', 'Dockerfile');
    const base = argDefaultsOf(dockerfile).get('CENTOS_IMAGE') ?? '';
    expect(base).toMatch(/^centos:7\.9\.2009@sha256:[0-9a-f]{64}$/);
    expect(preamble(dockerfile, 'CENTOS_IMAGE')).toMatch(/image index \(manifest list\).*\n?.*arm64/);
  });
});

describe('CNI plugins v1.1.1', () => {
  // The sha256 lines of the release's cni-plugins-linux-<arch>-v1.1.1.tgz.sha256 files (also what
  // kind and others pin for this release).
  it.each([
    ['AMD64', 'b275772da4026d2161bf8a8b41ed4786754c8a93ebfb6564006d5da7f23831e5'],
    ['ARM64', '16484966a46b4692028ba32d16afd994e079dc2cc63fbc2191d7bfaf5e11f3dd'],
  ])('%s is pinned to the published checksum', (arch, sum) => {
    const defaults = argDefaultsOf(readContextFile('mesos-mini', 'Dockerfile'));
    expect(defaults.get(`CNI_PLUGINS_SHA256_${arch}`)).toBe(sum);
    expect(defaults.get('CNI_PLUGINS_URL')).toContain('/v1.1.1/cni-plugins-linux-${TARGETARCH:-amd64}-v1.1.1.tgz');
  });
});
