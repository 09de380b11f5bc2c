import { createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../pipeline/adapters/clock.js';
import { parseLsRemote, GitLsRemote } from '../../../pipeline/adapters/git-remote.js';
import { HandClock } from '../../helpers/hand-clock.js';
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

describe('GitLsRemote', () => {
  it('lists a real repository without cloning it', async () => {
    const repo = new GitRepo();
    try {
      repo.commit('1.11.x');
      repo.tag('1.11.0', '1.11.x');
      const refs = await new GitLsRemote(systemClock).listRefs(repo.dir);
      expect(refs.heads.get('master')).toBe(repo.sha('master'));
      expect(refs.heads.get('1.11.x')).toBe(repo.sha('1.11.x'));
      expect(refs.tags.get('1.11.0')).toBe(repo.sha('1.11.x'));
    } finally {
      repo.remove();
    }
  });

  /** A remote that accepts and never answers; `closed()` says whether every connection to it went. */
  async function silentRemote(): Promise<{
    url: string;
    accepted: Promise<void>;
    closed(): Promise<boolean>;
    close(): Promise<void>;
  }> {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      // Read (and drop) what git sends, so that its end shows as a close.
      socket.resume();
      socket.on('close', () => sockets.delete(socket));
    });
    const accepted = new Promise<void>((resolve) => server.once('connection', () => resolve()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mesos.git`,
      accepted,
      closed: async () => {
        for (let waited = 0; sockets.size > 0 && waited < 3000; waited += 50)
          await new Promise((resolve) => setTimeout(resolve, 50));
        return sockets.size === 0;
      },
      close: async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  }

  it("stops at once when the run's signal aborts while the remote never answers, git's helper too", async () => {
    const remote = await silentRemote();
    try {
      const controller = new AbortController();
      void remote.accepted.then(() => setTimeout(() => controller.abort(new Error('interrupted by SIGTERM')), 200));
      await expect(new GitLsRemote(systemClock).listRefs(remote.url, controller.signal)).rejects.toThrow(
        'interrupted by SIGTERM',
      );
      // git-remote-http held the connection; it is gone too, not left behind as an orphan.
      expect(await remote.closed()).toBe(true);
    } finally {
      await remote.close();
    }
  }, 15_000);

  it('gives up on a remote that stays silent too long', async () => {
    const remote = await silentRemote();
    try {
      await expect(new GitLsRemote(systemClock, { silenceTimeoutMs: 500 }).listRefs(remote.url)).rejects.toThrow(
        `cannot read the branches of ${remote.url}: no answer for 0.5s`,
      );
      expect(await remote.closed()).toBe(true);
    } finally {
      await remote.close();
    }
  }, 15_000);

  it('keeps its silence timeout on the clock it was given', async () => {
    const remote = await silentRemote();
    const clock = new HandClock();
    try {
      const listing = new GitLsRemote(clock).listRefs(remote.url);
      await remote.accepted;
      // The system clock would wait the full 120 s; the given clock says the time is up now.
      expect(clock.asked.at(-1)).toBe(120_000);
      expect(clock.fireAll()).toBeGreaterThan(0);
      await expect(listing).rejects.toThrow(`cannot read the branches of ${remote.url}: no answer for 120s`);
      expect(await remote.closed()).toBe(true);
    } finally {
      await remote.close();
    }
  }, 15_000);

  it('names the repository it could not read', async () => {
    await expect(new GitLsRemote(systemClock).listRefs('/nonexistent/mesos')).rejects.toThrow(
      /cannot read the branches of \/nonexistent\/mesos: .*does not appear to be a git repository/,
    );
  });
});
