import { describe, expect, it } from 'vitest';
import { parseLsRemote, SimpleGitRemote } from '../../../pipeline/adapters/git-remote.js';
import { GitRepo } from '../../helpers/git-repo.js';

describe('parseLsRemote', () => {
  it('reads heads and tags, peeling annotated tags to their commit', () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    const t = 'c'.repeat(40);
    const refs = parseLsRemote(
      [
        `${a}\trefs/heads/master`,
        `${b}\trefs/heads/1.11.x`,
        `${t}\trefs/tags/1.11.0`,
        `${b}\trefs/tags/1.11.0^{}`,
        `${a}\trefs/tags/light`,
        `${a}\trefs/pull/1/head`,
        '',
      ].join('\n'),
    );
    expect([...refs.heads]).toEqual([
      ['master', a],
      ['1.11.x', b],
    ]);
    expect(refs.tags.get('1.11.0')).toBe(b);
    expect(refs.tags.get('light')).toBe(a);
    expect(refs.heads.has('refs/pull/1/head')).toBe(false);
  });
});

describe('SimpleGitRemote', () => {
  it('lists a real repository without cloning it', async () => {
    const repo = new GitRepo();
    try {
      repo.commit('1.11.x');
      repo.tag('1.11.0', '1.11.x');
      const refs = await new SimpleGitRemote().listRefs(repo.dir);
      expect(refs.heads.get('master')).toBe(repo.sha('master'));
      expect(refs.heads.get('1.11.x')).toBe(repo.sha('1.11.x'));
      expect(refs.tags.get('1.11.0')).toBe(repo.sha('1.11.x'));
    } finally {
      repo.remove();
    }
  });

  it('names the repository it could not read', async () => {
    await expect(new SimpleGitRemote().listRefs('/nonexistent/mesos')).rejects.toThrow(
      /cannot read the branches of \/nonexistent\/mesos: .*does not appear to be a git repository/,
    );
  });
});
