import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';
import { downloadsOf, unpinnedDownloads, wellFormed, type Download } from '../../pipeline/family/download-pins.js';
import { argDefaults, contextOf, readContextFile, readDockerfile, runs, withDefaults } from './dockerfile-facts.js';

// Rules every production Dockerfile keeps, checked statically: these images cannot be built here.
const IMAGES = ['mesos-centos', 'mesos-mini'] as const;

/**
 * Problems with the downloads of a Dockerfile: each URL is a build arg, each file is checked in
 * the same RUN against at least one pinned digest (sha1sum, sha256sum or sha512sum -c, or a key
 * fingerprint), and a digest may be left empty only where its check is skipped for an empty value.
 */
function downloadProblems(downloads: Download[]): string[] {
  const problems: string[] = [];
  for (const download of downloads) {
    if (!download.urlArg) {
      problems.push(`${download.inlineUrl} is written into the RUN; the download URL must be a build arg`);
      continue;
    }
    if (download.checks.length === 0)
      problems.push(`${download.urlArg}: ${download.file} is not verified in the same RUN against a digest`);
    for (const check of download.checks) {
      if (check.tool && check.tool !== check.algorithm) problems.push(`${check.arg} is checked with ${check.tool}sum`);
      if (
        check.optional
          ? check.value !== '' && !wellFormed(check.algorithm, check.value)
          : !wellFormed(check.algorithm, check.value)
      )
        problems.push(
          `${check.arg} must default to a well-formed ${check.algorithm} digest, not ${JSON.stringify(check.value)}`,
        );
    }
    if (!download.checks.some((check) => wellFormed(check.algorithm, check.value)))
      problems.push(`${download.urlArg}: no digest of ${download.file} is pinned`);
  }
  return problems;
}

describe.each(IMAGES)('dockerfiles/%s/Dockerfile', (image) => {
  const facts = readDockerfile(image);
  const defaults = argDefaults(facts);
  const stageNames = new Set(facts.stages.map((stage) => stage.name).filter(Boolean));

  it('builds every external base from a pinned tag or digest, never latest', () => {
    for (const stage of facts.stages) {
      if (stageNames.has(stage.from) || stage.from === '${BASE_IMAGE}') continue;
      const ref = withDefaults(stage.from, defaults);
      expect(ref, `FROM ${stage.from}`).toMatch(/^[\w./-]+:[\w.-]+(@sha256:[0-9a-f]{64})?$/);
      expect(ref).not.toMatch(/:latest(@|$)/);
    }
  });

  it('copies only files that exist in its build context, with no wildcards', () => {
    for (const step of facts.all.filter((s) => s.keyword === 'COPY' && !s.from)) {
      const sources = step.args.filter((arg) => !arg.startsWith('--')).slice(0, -1);
      for (const source of sources) {
        expect(source, 'a glob such as mesos-?.?.?-*.rpm silently matches nothing').not.toMatch(/[*?[]/);
        expect(existsSync(path.join(contextOf(image), source)), `${source} exists in dockerfiles/${image}`).toBe(true);
      }
    }
    expect(
      facts.all.filter((s) => s.keyword === 'ADD'),
      'ADD fetches URLs unverified and unpacks archives implicitly; use RUN curl + sha256sum or COPY',
    ).toEqual([]);
  });

  it('assumes nothing about the number of digits in a version', () => {
    const text = facts.all.map((s) => s.text).join('\n');
    expect(text).not.toMatch(/\?\.\?|\[0-9\]\\?\.\[0-9\]\\?\.|\d\.\?/);
    expect(text).not.toMatch(/\.rpm\b/);
  });

  it('verifies every file it downloads against a pinned digest or key fingerprint', () => {
    // A command, not a package name in a yum line: curl or wget with options.
    const downloading = runs(facts).filter((step) => /\b(curl|wget)\s+-/.test(step.text));
    expect(downloading.length).toBeGreaterThan(0);
    const downloads = downloadsOf(readContextFile(image, 'Dockerfile'));
    // Every downloading RUN is understood: its downloads are found, none is missed.
    expect(new Set(downloads.map((download) => download.run)).size).toBe(downloading.length);
    expect(downloadProblems(downloads)).toEqual([]);
    // What publish checks before it builds anything, for each platform images.json declares.
    expect(unpinnedDownloads(readContextFile(image, 'Dockerfile'))).toEqual([]);
    for (const arch of ['amd64', 'arm64'])
      expect(unpinnedDownloads(readContextFile(image, 'Dockerfile'), { TARGETARCH: arch }), arch).toEqual([]);
  });

  it('leaves no package cache behind', () => {
    for (const step of runs(facts).filter((s) => /\byum (-\S+ )*(install|update)\b/.test(s.text))) {
      expect(step.text, 'yum clean all in the same RUN').toMatch(/yum clean all/);
    }
    const last = facts.stages[facts.stages.length - 1];
    for (const step of runs(last ?? facts).filter((s) => /\byum (-\S+ )*(install|update)\b/.test(s.text))) {
      expect(step.text).toMatch(/rm -rf \/var\/cache\/yum/);
    }
  });

  it('describes itself but leaves the build facts to the pipeline', () => {
    const labels = facts.all
      .filter((s) => s.keyword === 'LABEL')
      .flatMap((s) => s.args.filter((arg) => arg.includes('=')).map((arg) => arg.slice(0, arg.indexOf('='))));
    expect(labels).toEqual(
      expect.arrayContaining(['org.opencontainers.image.description', 'org.opencontainers.image.licenses']),
    );
    // revision, source, created, version, ref.name and title come from the plan at build time.
    for (const owned of ['revision', 'source', 'created', 'version', 'ref.name', 'title'])
      expect(labels).not.toContain(`org.opencontainers.image.${owned}`);
    expect(labels.filter((label) => label.startsWith('io.mesos-pipeline.'))).toEqual([]);
  });
});

describe('the shell scripts of the build contexts', () => {
  const scripts = IMAGES.flatMap((image) =>
    readdirSync(contextOf(image), { recursive: true, encoding: 'utf8' })
      .map((file) => path.join(contextOf(image), file))
      .filter((file) => statSync(file).isFile() && readFileSync(file, 'utf8').startsWith('#!')),
  );

  it('are POSIX sh, executable, and named *.sh at the top of a context, where `npm run lint` shellchecks them', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const script of scripts) {
      expect(
        path.relative(path.dirname(path.dirname(script)), script),
        'matches dockerfiles/*/*.sh in the lint script',
      ).toMatch(/^[\w-]+\/[\w.-]+\.sh$/);
      expect(
        readFileSync(script, 'utf8').split('\n')[0],
        `${script} runs on CentOS and in the busybox tests alike`,
      ).toBe('#!/bin/sh');
      expect(statSync(script).mode & 0o111, `${script} is executable`).not.toBe(0);
    }
    const lint = (
      JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts.lint;
    expect(lint).toContain('shellcheck');
    expect(lint).toContain('dockerfiles/*/*.sh');
  });
});
