import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

// Every relative link of the docs must lead somewhere: a file or folder of this repository and,
// with `#anchor`, a heading of that file (GitHub's anchors). Links to the web are not followed.

const DOCS = [
  'README.md',
  'CONTRIBUTING.md',
  'CHANGELOG.md',
  'BENCHMARKS.md',
  'MUTATION.md',
  'dockerfiles/README.md',
  ...readdirSync(path.join(repoRoot, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`),
];

/** Markdown without fenced code blocks and inline code, where `[x](y)` and `# x` are not links or headings. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, (code) => code.replace(/[[\]()#]/g, ' '));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const withoutFences = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const match of withoutFences.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = (match[1] as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** The relative link targets of a Markdown file: `[text](target)`, without web and mail links. */
function relativeLinks(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((match) => match[1] as string)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

describe('anchorsOf and relativeLinks', () => {
  it.each([
    ['## What happens when things fail', 'what-happens-when-things-fail'],
    ['## Our extensions: service tests', 'our-extensions-service-tests'],
    ["## A runner's engine: `clean`", 'a-runners-engine-clean'],
    ['### Plan and report formats', 'plan-and-report-formats'],
  ])('%s -> #%s', (heading, anchor) => {
    expect([...anchorsOf(`${heading}\n`)]).toEqual([anchor]);
  });

  it('numbers repeated headings and ignores headings in code blocks', () => {
    expect([...anchorsOf('## Limits\n```sh\n# not a heading\n```\n## Limits\n')]).toEqual(['limits', 'limits-1']);
  });

  it('finds relative links, not web links or links in code', () => {
    expect(relativeLinks('[a](docs/x.md#y) [b](https://e.org) `[c](nope.md)` [d](#top "t")')).toEqual([
      'docs/x.md#y',
      '#top',
    ]);
  });
});

describe.each(DOCS)('%s', (doc) => {
  const text = readFileSync(path.join(repoRoot, doc), 'utf8');

  it('links only to files that exist and headings they have', () => {
    const broken = relativeLinks(text).filter((link) => {
      const [file, anchor] = link.split('#') as [string, string | undefined];
      const target =
        file === '' ? path.join(repoRoot, doc) : path.resolve(path.dirname(path.join(repoRoot, doc)), file);
      if (!existsSync(target)) return true;
      if (anchor === undefined) return false;
      if (statSync(target).isDirectory() || !target.endsWith('.md')) return true;
      return !anchorsOf(readFileSync(target, 'utf8')).has(decodeURIComponent(anchor));
    });
    expect(broken).toEqual([]);
  });
});
