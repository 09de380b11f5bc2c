import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  stateReason?: string;
  pullRequest?: boolean;
  comments: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
  authorization: string | undefined;
}

/**
 * A local stand-in for the few GitHub issue endpoints the pipeline calls, with state: issues are
 * listed (paginated, pull requests mixed in as GitHub does), opened, commented on and closed.
 * Every request is recorded; `failures` makes a method+path answer with an error status.
 */
export class GitHubStandIn {
  readonly issues: StandInIssue[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly failures = new Map<string, number>();
  private server: Server | undefined;
  private url = '';

  get baseUrl(): string {
    return this.url;
  }

  seed(issue: Omit<StandInIssue, 'number' | 'comments' | 'body'> & { body?: string }): StandInIssue {
    const created: StandInIssue = { number: this.issues.length + 1, body: '', comments: [], ...issue };
    this.issues.push(created);
    return created;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  }

  private view(issue: StandInIssue): Record<string, unknown> {
    return {
      number: issue.number,
      title: issue.title,
      state: issue.state,
      html_url: `https://github.example/o/r/issues/${issue.number}`,
      ...(issue.pullRequest ? { pull_request: { url: 'x' } } : {}),
    };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', this.url);
    const method = request.method ?? 'GET';
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    this.requests.push({ method, path: url.pathname, body, authorization: request.headers.authorization });

    const failure = this.failures.get(`${method} ${url.pathname}`);
    if (failure)
      return this.json(response, failure, {
        message: failure === 403 ? 'Resource not accessible by integration' : 'Server Error',
      });

    const list = /^\/repos\/[^/]+\/[^/]+\/issues$/.exec(url.pathname);
    const one = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)(\/comments)?$/.exec(url.pathname);
    if (list && method === 'GET') {
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const page = Number(url.searchParams.get('page') ?? 1);
      const open = this.issues.filter((issue) => issue.state === (url.searchParams.get('state') ?? 'open'));
      const slice = open.slice((page - 1) * perPage, page * perPage);
      const next = new URL(url);
      next.searchParams.set('page', String(page + 1));
      const headers: Record<string, string> =
        page * perPage < open.length ? { Link: `<${next.toString()}>; rel="next"` } : {};
      return this.json(
        response,
        200,
        slice.map((issue) => this.view(issue)),
        headers,
      );
    }
    if (list && method === 'POST') {
      const issue = this.seed({ title: String(body?.title), body: String(body?.body), state: 'open' });
      return this.json(response, 201, this.view(issue));
    }
    const issue = one ? this.issues.find((candidate) => candidate.number === Number(one[1])) : undefined;
    if (one && !issue) return this.json(response, 404, { message: 'Not Found' });
    if (issue && one?.[2] && method === 'POST') {
      issue.comments.push(String(body?.body));
      return this.json(response, 201, { id: issue.comments.length, body: body?.body });
    }
    if (issue && method === 'PATCH') {
      if (body?.state === 'closed' || body?.state === 'open') issue.state = body.state;
      if (typeof body?.state_reason === 'string') issue.stateReason = body.state_reason;
      return this.json(response, 200, this.view(issue));
    }
    return this.json(response, 404, { message: `stand-in has no ${method} ${url.pathname}` });
  }
}
