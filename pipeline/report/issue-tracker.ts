/** An issue as the tracker knows it. */
export interface TrackedIssue {
  number: number;
  title: string;
  url: string;
}

/**
 * The few issue operations failure reporting needs; the GitHub adapter implements them with
 * Octokit (pipeline/adapters/github-issues.ts), tests with a local stand-in of the API.
 */
export interface IssueTracker {
  /** The open issue (never a pull request) with exactly this title, if any. */
  findOpenIssue(title: string): Promise<TrackedIssue | undefined>;
  openIssue(title: string, body: string): Promise<TrackedIssue>;
  comment(issue: number, body: string): Promise<void>;
  /** Comments, then closes the issue as completed. */
  close(issue: number, comment: string): Promise<void>;
}
