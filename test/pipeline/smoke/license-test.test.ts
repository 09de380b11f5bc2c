import { describe, expect, it } from 'vitest';
import type { ArchiveEntry } from '../../../pipeline/ports.js';
import { debianCopyrights, licenseTextProblems } from '../../../pipeline/smoke/license-test.js';

const entry = (name: string, type: ArchiveEntry['type'], extra: Partial<ArchiveEntry> = {}): ArchiveEntry => ({
  name,
  type,
  mode: 0o644,
  uid: 0,
  gid: 0,
  ...extra,
});

describe('licenseTextProblems', () => {
  it.each([
    ['GPL-2+ and MIT', []],
    ['This is the GNU Affero General Public License (agpl-3)', ['/c names a refused license: it contains AGPL']],
    [
      'wtfpl and AGPL',
      ['/c names a refused license: it contains AGPL', '/c names a refused license: it contains WTFPL'],
    ],
  ])('%j', (text, problems) => {
    expect(licenseTextProblems('/c', Buffer.from(text))).toEqual(problems);
  });
  it('fails a missing file', () => {
    expect(licenseTextProblems('/c', undefined)).toEqual(['/c does not exist']);
  });
});

describe('debianCopyrights', () => {
  it('finds each package folder, its copyright file, and skips what c-s-t skips', () => {
    const copyrights = debianCopyrights([
      entry('doc/', 'directory'),
      entry('doc/dash/', 'directory'),
      entry('doc/dash/copyright', 'file', { content: Buffer.from('BSD') }),
      entry('doc/dash/changelog.gz', 'file'),
      entry('doc/nocopy/', 'directory'),
      entry('doc/linked', 'symlink', { linkTarget: 'dash' }),
      entry('doc/libgnutls30/', 'directory'),
      entry('doc/alias/', 'directory'),
      entry('doc/alias/copyright', 'symlink', { linkTarget: '../dash/copyright' }),
      entry('doc/dash/sub/', 'directory'),
    ]);
    expect(copyrights).toEqual([
      { pkg: 'dash', file: '/usr/share/doc/dash/copyright', content: Buffer.from('BSD') },
      { pkg: 'nocopy', file: '/usr/share/doc/nocopy/copyright' },
      { pkg: 'alias', file: '/usr/share/doc/alias/copyright', linkTarget: '/usr/share/doc/dash/copyright' },
    ]);
  });
});
