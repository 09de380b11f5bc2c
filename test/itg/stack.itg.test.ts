import tar from 'tar-fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manifestOf } from '../helpers/registry.js';
import { dockerOf, readStack, uniqueId } from '../helpers/stack.js';

// Proves the local stack is real: an engine that builds and runs, registries (htpasswd, and token
// auth the way Docker Hub does it) that refuse a push without credentials and take it with them,
// and the registry API that serves it back.
const stack = readStack();
const docker = dockerOf(stack);
const id = uniqueId();
const repository = `${stack.authRegistry}/stack-test/hello-${id}`;
const tokenRepository = `${stack.tokenRegistry}/stack-test/hello-${id}`;
const context = path.resolve(import.meta.dirname, '../fixtures/hello');

type Line = { error?: string; errorDetail?: { message?: string }; aux?: { ID?: string; Digest?: string } };

async function follow(stream: NodeJS.ReadableStream): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: Line[]) =>
      error ? reject(error) : resolve(output),
    );
  });
}

const errorsOf = (lines: Line[]): string[] =>
  lines.filter((l) => l.error ?? l.errorDetail).map((l) => l.errorDetail?.message ?? l.error ?? '');

describe('the local container stack', () => {
  afterAll(async () => {
    for (const name of [repository, tokenRepository])
      await docker
        .getImage(`${name}:1`)
        .remove({ force: true })
        .catch(() => undefined);
  });

  it('builds from a tar-fs context, runs, pushes only with credentials and serves the image back', async () => {
    const build = await docker.buildImage(tar.pack(context) as unknown as NodeJS.ReadableStream, {
      t: `${repository}:1`,
      rm: true,
      forcerm: true,
    });
    const buildLines = await follow(build);
    expect(errorsOf(buildLines)).toEqual([]);
    const imageId = buildLines.find((l) => l.aux?.ID)?.aux?.ID;
    expect(imageId).toMatch(/^sha256:[0-9a-f]{64}$/);

    const container = await docker.createContainer({ Image: imageId, Labels: { 'mesos-pipeline.test': id } });
    try {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      const logs = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
      expect(StatusCode).toBe(0);
      expect(logs).toContain('hello from the offline base');
    } finally {
      await container.remove({ force: true });
    }

    const image = docker.getImage(`${repository}:1`);
    const refused = errorsOf(await follow(await image.push({ tag: '1' })));
    expect(refused.join(' ')).toMatch(/no basic auth credentials|unauthorized|authentication required/i);

    const pushed = await follow(
      await image.push({
        tag: '1',
        authconfig: { username: stack.username, password: stack.password, serveraddress: stack.authRegistry },
      }),
    );
    expect(errorsOf(pushed)).toEqual([]);
    const digest = pushed.find((l) => l.aux?.Digest)?.aux?.Digest;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const manifestUrl = `http://${stack.authRegistry}/v2/stack-test/hello-${id}/manifests/1`;
    const accept = { Accept: 'application/vnd.docker.distribution.manifest.v2+json' };
    expect((await fetch(manifestUrl, { headers: accept })).status).toBe(401);
    const basic = `Basic ${Buffer.from(`${stack.username}:${stack.password}`).toString('base64')}`;
    const response = await fetch(manifestUrl, { headers: { ...accept, Authorization: basic } });
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-content-digest')).toBe(digest);
    const manifest = (await response.json()) as { config: { digest: string } };
    // The registry holds exactly the image the engine built: its config digest is the image ID.
    expect(manifest.config.digest).toBe(imageId);

    // The token registry: the engine does Docker Hub's token flow itself with the authconfig.
    await image.tag({ repo: tokenRepository, tag: '1' });
    const tokenImage = docker.getImage(`${tokenRepository}:1`);
    const tokenRefused = errorsOf(await follow(await tokenImage.push({ tag: '1' })));
    expect(tokenRefused.join(' ')).toMatch(/unauthorized|authentication required/i);
    const tokenPushed = await follow(
      await tokenImage.push({
        tag: '1',
        authconfig: { username: stack.username, password: stack.password, serveraddress: stack.tokenRegistry },
      }),
    );
    expect(errorsOf(tokenPushed)).toEqual([]);
    expect(tokenPushed.find((l) => l.aux?.Digest)?.aux?.Digest).toBe(digest);
    const tokenUrl = `http://${stack.tokenRegistry}/v2/stack-test/hello-${id}/manifests/1`;
    const challenge = await fetch(tokenUrl, { headers: { ...accept, Authorization: basic } });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toContain(`Bearer realm="${stack.tokenRealm}"`);
    const access = { host: stack.tokenRegistry, username: stack.username, password: stack.password };
    expect(await manifestOf(access, `stack-test/hello-${id}`, '1')).toMatchObject({ digest, config: imageId });
  });
});
