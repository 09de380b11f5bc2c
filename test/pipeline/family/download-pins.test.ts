import { describe, expect, it } from 'vitest';
import { argDefaultsOf, downloadsOf, unpinnedDownloads } from '../../../pipeline/family/download-pins.js';

// Per-architecture pins: one download whose file and digest differ by TARGETARCH.
const PER_ARCH = `FROM scratch
ARG TARGETARCH
ARG TOOL_URL=https://example.test/tool-\${TARGETARCH:-amd64}.tgz
ARG TOOL_SHA256_AMD64=${'a'.repeat(64)}
ARG TOOL_SHA256_ARM64=
RUN case "\${TARGETARCH:-amd64}" in \\
      amd64) TOOL_SHA256=$TOOL_SHA256_AMD64 ;; \\
      arm64) TOOL_SHA256=$TOOL_SHA256_ARM64 ;; \\
    esac \\
 && curl -fsSL "$TOOL_URL" -o /tmp/tool.tgz \\
 && echo "$TOOL_SHA256  /tmp/tool.tgz" | sha256sum -c -
`;

describe('per-architecture download pins', () => {
  it.each([
    ['no platform (amd64)', {}, 'TOOL_SHA256_AMD64', 'a'.repeat(64)],
    ['amd64', { TARGETARCH: 'amd64' }, 'TOOL_SHA256_AMD64', 'a'.repeat(64)],
    ['arm64', { TARGETARCH: 'arm64' }, 'TOOL_SHA256_ARM64', ''],
  ])('%s: the check reads that architecture’s pin', (_, args, arg, value) => {
    const [download] = downloadsOf(PER_ARCH, args);
    expect(download?.checks).toMatchObject([{ arg, value, algorithm: 'sha256', optional: false }]);
  });

  it('an architecture without a pin is named, the pinned one passes', () => {
    expect(unpinnedDownloads(PER_ARCH, { TARGETARCH: 'amd64' })).toEqual([]);
    expect(unpinnedDownloads(PER_ARCH, { TARGETARCH: 'arm64' })).toEqual(['TOOL_SHA256_ARM64 is empty']);
  });

  // The RUN's case overwrites TOOL_SHA256 with the pin, so the pin is what the build checks: an empty
  // `ARG TOOL_SHA256=` beside the pins is no missing digest, and a value given to TOOL_SHA256 does not
  // make up for an empty pin.
  const DECLARED = PER_ARCH.replace('ARG TARGETARCH\n', 'ARG TARGETARCH\nARG TOOL_SHA256=\n');

  it('the pin, not an empty ARG of the digest arg beside it', () => {
    expect(DECLARED).toContain('ARG TOOL_SHA256=\n');
    expect(unpinnedDownloads(DECLARED, { TARGETARCH: 'amd64' })).toEqual([]);
    expect(downloadsOf(DECLARED, { TARGETARCH: 'amd64' })[0]?.checks).toMatchObject([{ arg: 'TOOL_SHA256_AMD64' }]);
  });

  it.each([
    ['a build arg', PER_ARCH, { TARGETARCH: 'arm64', TOOL_SHA256: 'b'.repeat(64) }],
    [
      'an ARG default',
      PER_ARCH.replace('ARG TARGETARCH\n', `ARG TARGETARCH\nARG TOOL_SHA256=${'b'.repeat(64)}\n`),
      { TARGETARCH: 'arm64' },
    ],
  ])('an empty pin is named even when the digest arg has a value of its own (%s)', (_, text, args) => {
    expect(unpinnedDownloads(text, args)).toEqual(['TOOL_SHA256_ARM64 is empty']);
  });
});

describe('downloadsOf', () => {
  it.each([
    [
      'a URL written inline',
      'RUN curl -fsSL https://example.test/tool.tgz -o /tmp/tool.tgz\n',
      [{ inlineUrl: 'https://example.test/tool.tgz', file: '/tmp/tool.tgz', checks: [] }],
    ],
    [
      'flags on lines of their own',
      'RUN curl \\\n      -fsSL "$TOOL_URL" \\\n      -o /tmp/tool.tgz\n',
      [{ urlArg: 'TOOL_URL', file: '/tmp/tool.tgz', checks: [] }],
    ],
    [
      'wget -O and ${braces}',
      'RUN wget -q "${TOOL_URL}" -O /tmp/tool.tgz\n',
      [{ urlArg: 'TOOL_URL', file: '/tmp/tool.tgz', checks: [] }],
    ],
    // Only a RUN downloads while the image is built; a health check's curl runs in the container.
    ['no build-time download in a HEALTHCHECK', 'HEALTHCHECK CMD curl -fsS http://localhost:5050/ -o /dev/null\n', []],
  ])('finds %s', (_, text, expected) => {
    expect(downloadsOf(`FROM scratch\n${text}`).map(({ run: _run, ...download }) => download)).toEqual(expected);
  });
});

describe('the digest checks of a download', () => {
  const SHA1 = '1'.repeat(40);
  const SHA512 = '5'.repeat(128);
  const FINGERPRINT = 'F'.repeat(40);
  const ARGS = `ARG TOOL_URL=https://example.test/tool.tgz\nARG TOOL_SHA1=${SHA1}\nARG TOOL_SHA512=${SHA512}\nARG TOOL_SHA256\n`;
  const FETCH = 'RUN curl -fsSL "$TOOL_URL" -o /tmp/tool.tgz';

  it.each([
    [
      'a required sum, an optional one and a key fingerprint',
      `${FETCH} && echo "$TOOL_SHA512  /tmp/tool.tgz" | sha512sum -c - \\\n` +
        ` && if [ -n "$TOOL_SHA1" ]; then echo "$TOOL_SHA1  /tmp/tool.tgz" | sha1sum -c -; fi \\\n` +
        ` && gpg --batch --verify /tmp/tool.tgz.asc /tmp/tool.tgz && test "$(fpr)" = "$TOOL_FINGERPRINT"\n`,
      [
        { arg: 'TOOL_SHA512', algorithm: 'sha512', tool: 'sha512', value: SHA512, optional: false },
        { arg: 'TOOL_SHA1', algorithm: 'sha1', tool: 'sha1', value: SHA1, optional: true },
        { arg: 'TOOL_FINGERPRINT', algorithm: 'fingerprint', value: FINGERPRINT, optional: false },
      ],
    ],
    // The tool is recorded as written, so a rule can refuse a digest checked with the wrong sum.
    [
      'a digest checked with another tool',
      `${FETCH} && echo "$TOOL_SHA256  /tmp/tool.tgz" | sha1sum -c -\n`,
      [{ arg: 'TOOL_SHA256', algorithm: 'sha256', tool: 'sha1', value: '', optional: false }],
    ],
    ['no digest of another file', `${FETCH} && echo "$TOOL_SHA512  /tmp/other.tgz" | sha512sum -c -\n`, []],
    ['no other variable that starts like the fingerprint', `${FETCH} && gpg --import "$TOOL_FINGERPRINT_FILE"\n`, []],
  ])('finds %s', (_, run, checks) => {
    const text = `FROM scratch\n${ARGS}ARG TOOL_FINGERPRINT=${FINGERPRINT}\n${run}`;
    expect(downloadsOf(text).map((download) => download.checks)).toEqual([checks]);
  });

  it.each([
    // Digests are named after the URL arg without its _URL suffix, and only that suffix.
    ['TOOL_URL', 'TOOL_SHA256'],
    ['TOOL_URL_MIRROR', 'TOOL_URL_MIRROR_SHA256'],
    // The file's name is matched as written, dots and plus signs included.
    ['TOOL_URL', 'TOOL_SHA256', '/tmp/tool+1.0.tgz'],
  ])('names the digest of $%s %s', (urlArg, digestArg, file = '/tmp/tool.tgz') => {
    const run = `RUN curl -fsSL "$${urlArg}" -o ${file} && echo "$${digestArg}  ${file}" | sha256sum -c -\n`;
    const [download] = downloadsOf(`FROM scratch\nARG ${digestArg}=${'a'.repeat(64)}\n${run}`);
    expect(download).toMatchObject({ urlArg, file, checks: [{ arg: digestArg, value: 'a'.repeat(64) }] });
  });
});

// One download and one digest; `declared` is what the Dockerfile says about the digest arg.
const single = (declared: string): string =>
  'FROM scratch\nARG TOOL_URL=https://example.test/tool.tgz\n' +
  declared +
  'RUN curl -fsSL "$TOOL_URL" -o /tmp/tool.tgz && echo "$TOOL_SHA256  /tmp/tool.tgz" | sha256sum -c -\n';

describe('unpinnedDownloads', () => {
  it.each([
    ['pinned by its default', `ARG TOOL_SHA256=${'a'.repeat(64)}\n`, {}, []],
    ['pinned by the build', 'ARG TOOL_SHA256\n', { TOOL_SHA256: 'a'.repeat(64) }, []],
    // No value anywhere is an empty pin, named as such (not some other text taken for a digest).
    ['declared without a default', 'ARG TOOL_SHA256\n', {}, ['TOOL_SHA256 is empty']],
    ['not declared at all', '', {}, ['TOOL_SHA256 is empty']],
  ])('a digest %s: %j', (_, declared, buildArgs, expected) => {
    expect(unpinnedDownloads(single(declared), buildArgs)).toEqual(expected);
  });

  // A download is named by its URL arg, else by its URL as written.
  it.each([
    [
      'a URL arg checked against nothing',
      'ARG TOOL_URL=https://example.test/tool.tgz\nRUN curl -fsSL "$TOOL_URL" -o /tmp/tool.tgz\n',
      ['TOOL_URL is not checked against any digest'],
    ],
    [
      'a URL written inline and checked against nothing',
      'RUN curl -fsSL https://example.test/tool.tgz -o /tmp/tool.tgz\n',
      ['https://example.test/tool.tgz is not checked against any digest'],
    ],
    [
      'only optional digests, all of them empty',
      'ARG TOOL_URL=https://example.test/tool.tgz\nARG TOOL_SHA256=\nARG TOOL_SHA512=\n' +
        'RUN curl -fsSL "$TOOL_URL" -o /tmp/tool.tgz ' +
        '&& if [ -n "$TOOL_SHA256" ]; then echo "$TOOL_SHA256  /tmp/tool.tgz" | sha256sum -c -; fi ' +
        '&& if [ -n "$TOOL_SHA512" ]; then echo "$TOOL_SHA512  /tmp/tool.tgz" | sha512sum -c -; fi\n',
      ['TOOL_URL has no digest set (TOOL_SHA256 or TOOL_SHA512)'],
    ],
    // An optional digest may be left empty, but one that is set must be a digest (quoted up to 20 characters).
    [
      'an optional digest set to something else',
      'ARG TOOL_URL=https://example.test/tool.tgz\nARG TOOL_SHA256=see-the-release-notes-page\n' +
        'RUN curl -fsSL "$TOOL_URL" -o /tmp/tool.tgz ' +
        '&& if [ -n "$TOOL_SHA256" ]; then echo "$TOOL_SHA256  /tmp/tool.tgz" | sha256sum -c -; fi\n',
      ['TOOL_SHA256 is not a sha256 digest ("see-the-release-note")'],
    ],
    // One optional digest set is enough for a download that has only optional ones.
    [
      'nothing when one of two optional digests is set',
      `ARG TOOL_URL=https://example.test/tool.tgz\nARG TOOL_SHA256=${'a'.repeat(64)}\nARG TOOL_SHA512=\n` +
        'RUN curl -fsSL "$TOOL_URL" -o /tmp/tool.tgz ' +
        '&& if [ -n "$TOOL_SHA256" ]; then echo "$TOOL_SHA256  /tmp/tool.tgz" | sha256sum -c -; fi ' +
        '&& if [ -n "$TOOL_SHA512" ]; then echo "$TOOL_SHA512  /tmp/tool.tgz" | sha512sum -c -; fi\n',
      [],
    ],
  ])('names %s', (_, text, expected) => {
    expect(unpinnedDownloads(`FROM scratch\n${text}`)).toEqual(expected);
  });
});

describe('argDefaultsOf', () => {
  it.each([
    ['only ARG instructions', 'FROM a\nENV X=1\nARG Y=2\nRUN echo\n', [['Y', '2']]],
    ['a declaration without a default', 'FROM a\nARG X\n', [['X', undefined]]],
    ['an empty default', 'ARG X=\nFROM a\n', [['X', '']]],
    ['a later default over an earlier one', 'ARG X=1\nFROM a\nARG X=2\n', [['X', '2']]],
    // A stage's bare `ARG X` brings the global X into the stage, with its default.
    ['the global default through a bare re-declaration', 'ARG X=1\nFROM a\nARG X\n', [['X', '1']]],
  ])('reads %s', (_, text, expected) => {
    expect([...argDefaultsOf(text)]).toEqual(expected);
  });
});
