#!/usr/bin/env node
// @ts-check
// A token service for the registry's token auth: Docker Hub's flow, end to end, with a real
// registry (Debian's docker-registry, `auth: token`) verifying real RS256 JWTs. Clients get a
// token for a scope after HTTP Basic auth: GET <realm>?service=…&scope=… (and the OAuth2 password
// grant, POST <realm>). engine-up.sh runs it before `npm ci` on a fresh machine, so it needs
// nothing but Node's own modules.
//
//   node scripts/token-service.mjs CONFIG.json
//
// CONFIG: {
//   "listen": "127.0.0.1:5003",            port 0 picks a free one
//   "issuer": "…", "service": "…",          the registry's auth.token.issuer and .service
//   "key": "key.pem", "certificate": "cert.pem",  signing key; its self-signed CA:true
//                                           certificate is the registry's rootcertbundle
//   "accounts": [{ "usernameFile": "…", "passwordFile": "…" }],
//   "lifetimeSeconds": 300                  how long a token lives (Docker Hub: 300)
// }
// Prints {"listening":"127.0.0.1:PORT"} first, then one JSON line per request (never a token or
// a password) on stdout.
import { Buffer } from 'node:buffer';
import { createPrivateKey, createSign, randomUUID, timingSafeEqual, X509Certificate } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import http from 'node:http';
import process from 'node:process';
import { fileURLToPath, URL, URLSearchParams } from 'node:url';

// The registry accepts `exp` (and `nbf`) with 60 s of leeway: a token meant to live N seconds
// carries exp = issue + N - 60, so that it really dies N seconds after issue.
const REGISTRY_LEEWAY_SECONDS = 60;
const ACTIONS = new Set(['pull', 'push', 'delete', '*']);

/**
 * @typedef {{ username: string, password: Buffer }} Account
 * @typedef {{ type: string, name: string, actions: string[] }} Access
 * @typedef {{
 *   listen: string, issuer: string, service: string, key: string, certificate: string,
 *   accounts: { usernameFile: string, passwordFile: string }[], lifetimeSeconds?: number
 * }} Config
 */

/** @param {string} file */
export function loadConfig(file) {
  /** @type {unknown} */
  const parsed = JSON.parse(readFileSync(file, 'utf8'));
  const config = /** @type {Config} */ (parsed);
  for (const field of /** @type {const} */ (['listen', 'issuer', 'service', 'key', 'certificate'])) {
    if (typeof config[field] !== 'string' || !config[field]) throw new Error(`${file}: "${field}" must be a string`);
  }
  const lifetime = config.lifetimeSeconds ?? 300;
  if (!Number.isInteger(lifetime) || lifetime < 1)
    throw new Error(`${file}: "lifetimeSeconds" must be a whole number ≥ 1`);
  if (!Array.isArray(config.accounts) || config.accounts.length === 0)
    throw new Error(`${file}: "accounts" must list at least one account`);
  /** @type {Account[]} */
  const accounts = config.accounts.map((account) => ({
    username: readFileSync(account.usernameFile, 'utf8').trim(),
    password: Buffer.from(readFileSync(account.passwordFile, 'utf8').trim()),
  }));
  const certificate = new X509Certificate(readFileSync(config.certificate));
  return {
    ...config,
    lifetime,
    accounts,
    privateKey: createPrivateKey(readFileSync(config.key)),
    // x5c: the registry checks that this certificate chains to its rootcertbundle.
    x5c: certificate.raw.toString('base64'),
  };
}

/**
 * `repository:name:pull,push` into its parts. A name may hold a colon (host:port/name), so the
 * type ends at the first colon and the actions start after the last.
 * @param {string} scope
 * @returns {Access | undefined}
 */
export function parseScope(scope) {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter(Boolean),
  };
}

/**
 * What an authenticated account is granted: every repository action it asks for. Nothing else.
 * @param {string[]} scopes
 * @returns {Access[]}
 */
export function grant(scopes) {
  /** @type {Access[]} */
  const access = [];
  for (const scope of scopes.flatMap((value) => value.split(' ')).filter(Boolean)) {
    const parsed = parseScope(scope);
    if (!parsed || parsed.type !== 'repository') continue;
    const actions = parsed.actions.filter((action) => ACTIONS.has(action));
    if (actions.length > 0) access.push({ ...parsed, actions });
  }
  return access;
}

/** @param {object} value */
function base64url(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * An RS256 JWT as docker-registry verifies it.
 * @param {ReturnType<typeof loadConfig>} config
 * @param {string} subject
 * @param {Access[]} access
 * @param {number} now seconds
 */
export function signToken(config, subject, access, now) {
  const header = base64url({ typ: 'JWT', alg: 'RS256', x5c: [config.x5c] });
  const claims = base64url({
    iss: config.issuer,
    sub: subject,
    aud: config.service,
    exp: now + config.lifetime - REGISTRY_LEEWAY_SECONDS,
    nbf: now,
    iat: now,
    jti: randomUUID(),
    access,
  });
  const signature = createSign('RSA-SHA256')
    .update(`${header}.${claims}`)
    .sign(config.privateKey)
    .toString('base64url');
  return `${header}.${claims}.${signature}`;
}

/**
 * @param {ReturnType<typeof loadConfig>} config
 * @param {string} username
 * @param {string} password
 */
function authenticate(config, username, password) {
  const offered = Buffer.from(password);
  return config.accounts.find(
    (account) =>
      account.username === username &&
      account.password.length === offered.length &&
      timingSafeEqual(account.password, offered),
  );
}

/** @param {string | undefined} header */
function basicCredentials(header) {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(/** @type {string} */ (match[1]), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** @param {http.IncomingMessage} request */
async function readBody(request) {
  /** @type {Buffer[]} */
  const chunks = [];
  let size = 0;
  for await (const chunk of /** @type {AsyncIterable<Buffer>} */ (request)) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** @param {ReturnType<typeof loadConfig>} config */
function serve(config) {
  /**
   * @param {http.ServerResponse} response
   * @param {number} status
   * @param {object} body
   * @param {Record<string, string>} [headers]
   */
  const answer = (response, status, body, headers = {}) => {
    response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
    response.end(JSON.stringify(body));
  };

  return http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://token-service');
    /** @type {Record<string, unknown>} */
    // Who asked (the engine's Go client, or the pipeline's Node one): tests tell them apart.
    /** @type {Record<string, unknown>} */
    const entry = {
      time: new Date().toISOString(),
      method: request.method,
      path: url.pathname,
      agent: request.headers['user-agent'],
    };
    response.on('finish', () => {
      entry.status = response.statusCode;
      process.stdout.write(`${JSON.stringify(entry)}\n`);
    });
    void (async () => {
      if (url.pathname === '/healthz') return answer(response, 200, { ok: true });
      if (url.pathname !== '/token') return answer(response, 404, { details: 'not found' });

      // GET: Basic auth and query parameters. POST: the OAuth2 password grant in a form body.
      let service;
      let scopes;
      let credentials;
      if (request.method === 'GET') {
        service = url.searchParams.get('service');
        scopes = url.searchParams.getAll('scope');
        credentials = basicCredentials(request.headers.authorization);
      } else if (request.method === 'POST') {
        const form = new URLSearchParams(await readBody(request));
        if (form.get('grant_type') !== 'password') return answer(response, 400, { error: 'unsupported_grant_type' });
        service = form.get('service');
        scopes = form.getAll('scope');
        const username = form.get('username');
        const password = form.get('password');
        credentials = username !== null && password !== null ? { username, password } : undefined;
      } else {
        return answer(response, 405, { details: 'GET or POST' });
      }
      entry.account = credentials?.username;
      entry.scopes = scopes;
      const account = credentials && authenticate(config, credentials.username, credentials.password);
      if (!account)
        return answer(
          response,
          401,
          { details: 'incorrect username or password' },
          {
            'WWW-Authenticate': 'Basic realm="mesos-pipeline token service"',
          },
        );
      if (service !== config.service)
        return answer(response, 400, { details: `unknown service ${JSON.stringify(service)}` });
      const access = grant(scopes);
      const now = Math.floor(Date.now() / 1000);
      const token = signToken(config, account.username, access, now);
      entry.granted = access.map((item) => `${item.type}:${item.name}:${item.actions.join(',')}`);
      entry.lifetime = config.lifetime;
      return answer(response, 200, {
        token,
        access_token: token,
        expires_in: config.lifetime,
        issued_at: new Date(now * 1000).toISOString(),
      });
    })().catch((error) => {
      entry.error = error instanceof Error ? error.message : String(error);
      if (!response.headersSent) answer(response, 400, { details: 'bad request' });
      else response.destroy();
    });
  });
}

function main() {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: token-service.mjs CONFIG.json\n');
    process.exit(2);
  }
  const config = loadConfig(file);
  const colon = config.listen.lastIndexOf(':');
  const host = config.listen.slice(0, colon);
  const port = Number(config.listen.slice(colon + 1));
  const server = serve(config);
  server.listen(port, host, () => {
    const address = /** @type {import('node:net').AddressInfo} */ (server.address());
    process.stdout.write(`${JSON.stringify({ listening: `${host}:${address.port}`, lifetime: config.lifetime })}\n`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// Run as a program; imported (by tests), it only exports its pure parts.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) main();
