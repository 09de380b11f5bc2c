import { Octokit } from '@octokit/rest';
import { describe, expect, it } from 'vitest';
import { OctokitIssueTracker } from '../../../pipeline/adapters/github-issues.js';
import { WorkError } from '../../../pipeline/errors.js';

const coded = (code: string, message = code): Error => Object.assign(new Error(message), { code });

/** An Octokit whose every request fails in fetch, as undici fails when the network does. */
function unreachable(cause: Error): OctokitIssueTracker {
  const fetch = (): Promise<Response> => Promise.reject(new TypeError('fetch failed', { cause }));
  return new OctokitIssueTracker(new Octokit({ baseUrl: 'http://gh.test', request: { fetch, retries: 0 } }), 'a/b');
}

describe('OctokitIssueTracker when GitHub cannot be reached', () => {
  // The words come from the one table of network failures (pipeline/network-failures.ts) that
  // retrying reads too: a code the retry policy knows is never shown here as a bare message.
  it.each([
    ['ECONNREFUSED', 'connection refused'],
    ['ENOTFOUND', 'no such host'],
    ['EPIPE', 'connection broken'],
    ['UND_ERR_HEADERS_TIMEOUT', 'no answer in time'],
    ['UND_ERR_BODY_TIMEOUT', 'the answer stalled'],
  ])('%s reads as "%s"', async (code, words) => {
    const error = await unreachable(coded(code, `undici says ${code}`))
      .findOpenIssue('x')
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    expect(error).toBeInstanceOf(WorkError);
    expect((error as Error).message).toBe(`GitHub listing open issues in a/b: cannot reach http://gh.test: ${words}`);
  });

  it('an unknown code falls back to the innermost message', async () => {
    const error = (await unreachable(coded('EWHATEVER', 'something odd'))
      .openIssue('t', 'b')
      .catch((thrown: unknown) => thrown)) as Error;
    expect(error.message).toBe('GitHub opening an issue in a/b: cannot reach http://gh.test: something odd');
  });
});
