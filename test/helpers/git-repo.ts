import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** A real git repository in a temp folder (changesets' gitdir idea): no mocks of git. */
export class GitRepo {
  readonly dir: string;
  private counter = 0;

  constructor() {
    this.dir = mkdtempSync(path.join(tmpdir(), 'mp-repo-'));
    this.git('init', '-q', '-b', 'master');
    this.git('config', 'commit.gpgsign', 'false');
    this.git('config', 'gc.auto', '0');
    this.commit('master');
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, env, encoding: 'utf8' }).trim();
  }

  /** A new commit on `branch` (created from master if missing); returns its sha. */
  commit(branch: string, message?: string): string {
    const exists = this.git('branch', '--list', branch) !== '';
    if (this.counter > 0) this.git('checkout', '-q', exists ? branch : '-b', ...(exists ? [] : [branch, 'master']));
    this.counter += 1;
    writeFileSync(path.join(this.dir, 'counter.txt'), `${this.counter} ${branch}\n`);
    this.git('add', 'counter.txt');
    this.git('commit', '-q', '-m', message ?? `commit ${this.counter} on ${branch}`);
    return this.sha(branch);
  }

  /** Branch names with no commit of their own: they point at master's head. */
  branches(...names: string[]): void {
    for (const name of names) this.git('branch', name, 'master');
  }

  tag(name: string, ref: string, annotated = true): void {
    if (annotated) this.git('tag', '-a', name, '-m', `release ${name}`, ref);
    else this.git('tag', name, ref);
  }

  sha(ref: string): string {
    return this.git('rev-parse', `${ref}^{commit}`);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
