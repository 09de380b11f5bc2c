import type { Octokit } from '@octokit/rest';
import { errorMessage, InputError, statusOf, WorkError } from '../errors.js';
import { causeChain, networkFailureOf } from '../network-failures.js';
import type { IssueTracker, TrackedIssue } from '../report/issue-tracker.js';

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** `owner/name` as GITHUB_REPOSITORY gives it; anything else is bad input. */
export function parseRepository(text: string): { owner: string; repo: string } {
  if (!REPOSITORY.test(text))
    throw new InputError(`GITHUB_REPOSITORY "${text}" is not OWNER/NAME, for example apache/mesos`);
  const [owner, repo] = text.split('/') as [string, string];
  return { owner, repo };
}

/**
 * Octokit reports a request that got no answer at all as status 500; it has no response. What
 * went wrong is down its causes (fetch's TypeError, then the socket's error code), in the words of
 * the one table of network failures; a code it does not know shows the innermost message.
 */
function connectionFailure(error: unknown): string | undefined {
  if ((error as { response?: unknown } | undefined)?.response !== undefined) return undefined;
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return networkFailureOf(cause)?.words ?? causeChain(cause).at(-1)?.message;
}

/**
 * Issues of one repository through Octokit, which it gets ready-made (token, base URL) through
 * its constructor. Errors become WorkErrors naming the call; Octokit's request objects, which
 * carry the token header, are never put into a message.
 */
export class OctokitIssueTracker implements IssueTracker {
  private readonly octokit: Octokit;
  private readonly owner: string;
  private readonly repo: string;

  constructor(octokit: Octokit, repository: string) {
    this.octokit = octokit;
    const { owner, repo } = parseRepository(repository);
    this.owner = owner;
    this.repo = repo;
  }

  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      const unreachable = connectionFailure(error);
      if (unreachable !== undefined)
        throw new WorkError(
          'github',
          `GitHub ${what} in ${this.owner}/${this.repo}: cannot reach ${this.baseUrl()}: ${unreachable}`,
          { cause: error },
        );
      const status = statusOf(error);
      let hint = '';
      if (status === 401) hint = '; GITHUB_TOKEN was refused';
      else if (status === 403) hint = '; the token needs the issues: write permission';
      else if (status === 404) hint = `; does ${this.owner}/${this.repo} exist and can the token see it?`;
      else if (status === 410) hint = '; issues are disabled in this repository';
      const first = errorMessage(error).split('\n')[0] ?? '';
      throw new WorkError(
        'github',
        `GitHub ${what} in ${this.owner}/${this.repo}: ${status ?? 'no answer'} ${first}${hint}`.replace(/\s+/g, ' '),
        { cause: error },
      );
    }
  }

  private baseUrl(): string {
    const url: unknown = this.octokit.request.endpoint.DEFAULTS.baseUrl;
    return typeof url === 'string' ? url : 'the GitHub API';
  }

  async findOpenIssue(title: string): Promise<TrackedIssue | undefined> {
    return this.call('listing open issues', async () => {
      const pages = this.octokit.paginate.iterator(this.octokit.rest.issues.listForRepo, {
        owner: this.owner,
        repo: this.repo,
        state: 'open',
        per_page: 100,
      });
      for await (const page of pages) {
        const match = page.data.find((issue) => !issue.pull_request && issue.title === title);
        if (match) return { number: match.number, title: match.title, url: match.html_url };
      }
      return undefined;
    });
  }

  async openIssue(title: string, body: string): Promise<TrackedIssue> {
    return this.call('opening an issue', async () => {
      const { data } = await this.octokit.rest.issues.create({ owner: this.owner, repo: this.repo, title, body });
      return { number: data.number, title: data.title, url: data.html_url };
    });
  }

  async comment(issue: number, body: string): Promise<void> {
    await this.call(`commenting on #${issue}`, () =>
      this.octokit.rest.issues.createComment({ owner: this.owner, repo: this.repo, issue_number: issue, body }),
    );
  }

  async close(issue: number, comment: string): Promise<void> {
    await this.comment(issue, comment);
    await this.call(`closing #${issue}`, () =>
      this.octokit.rest.issues.update({
        owner: this.owner,
        repo: this.repo,
        issue_number: issue,
        state: 'closed',
        state_reason: 'completed',
      }),
    );
  }
}
