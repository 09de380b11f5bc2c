import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

// engine-up.sh and engine-down.sh on a second, private stack (own state folder, socket, bridge and
// ports), so the shared one is never touched: up twice is a no-op, a killed session's leftovers
// are survived, and down stops exactly what up started.
const stateDir = mkdtempSync(path.join(tmpdir(), 'mp-engine-'));
const suffix = Math.floor(Math.random() * 90 + 10);
const env = {
  ...process.env,
  MP_STATE_DIR: stateDir,
  MP_BRIDGE: `mptest${suffix}`,
  MP_BRIDGE_CIDR: `172.30.${100 + suffix}.1/24`,
  // No emulated architecture: in a new state folder it would cost an apt-get update, a download and
  // a base image built under emulation, none of which this test looks at. The shared stack's
  // engine-up.sh (scripts/test.sh, every itg run) sets emulation up and the multi-platform tests use it.
  MP_EMULATE: '',
};

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function script(name: string, extra: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync('bash', [path.join(repoRoot, 'scripts', name)], {
    env: { ...env, ...extra },
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const pidOf = (file: string): number => Number(readFileSync(path.join(stateDir, file), 'utf8').trim());
const alive = (pid: number): boolean =>
  existsSync(`/proc/${pid}`) &&
  readFileSync(`/proc/${pid}/status`, 'utf8').includes('State:') &&
  !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
const pidFiles = [
  'dockerd.pid',
  'registry-open/registry.pid',
  'registry-auth/registry.pid',
  'registry-token/registry.pid',
  'token-service/token-service.pid',
];
const mountsUnder = (): string[] =>
  readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((mount) => mount.startsWith(`${stateDir}/`));
/** The kernel's NET_ADDR_SET: an address set by hand, which a bridge keeps whatever ports it has. */
const NET_ADDR_SET = '3';
const bridgeAddress = (): { address: string; assigned: string } => ({
  address: readFileSync(`/sys/class/net/${env.MP_BRIDGE}/address`, 'utf8').trim(),
  assigned: readFileSync(`/sys/class/net/${env.MP_BRIDGE}/addr_assign_type`, 'utf8').trim(),
});
const answers = (socket: string): boolean =>
  spawnSync('curl', ['-sf', '--max-time', '3', '--unix-socket', socket, 'http://engine/_ping']).status === 0;

/** A token from the stack's token service, and what its registry answers to a request carrying it. */
async function tokenRoundTrip(
  ports: Record<string, string>,
  repository: string,
): Promise<{ expiresIn: number; status: number }> {
  const credentials = ['username', 'password'].map((file) => readFileSync(`${stateDir}/auth/${file}`, 'utf8').trim());
  const realm = `http://127.0.0.1:${ports.MP_TOKEN_SERVICE_PORT}/token`;
  const challenge = await fetch(`http://127.0.0.1:${ports.MP_TOKEN_REGISTRY_PORT}/v2/${repository}/tags/list`);
  expect(challenge.status).toBe(401);
  expect(challenge.headers.get('www-authenticate')).toBe(
    `Bearer realm="${realm}",service="mesos-pipeline-token-registry",scope="repository:${repository}:pull"`,
  );
  const answer = await fetch(`${realm}?service=mesos-pipeline-token-registry&scope=repository:${repository}:pull`, {
    headers: { Authorization: `Basic ${Buffer.from(credentials.join(':')).toString('base64')}` },
  });
  const { token, expires_in: expiresIn } = (await answer.json()) as { token: string; expires_in: number };
  const listed = await fetch(`http://127.0.0.1:${ports.MP_TOKEN_REGISTRY_PORT}/v2/${repository}/tags/list`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  await listed.body?.cancel();
  return { expiresIn, status: listed.status };
}

afterAll(() => {
  script('engine-down.sh', {});
  rmSync(stateDir, { recursive: true, force: true });
});

describe('engine-up.sh and engine-down.sh', () => {
  it('start a stack, leave it alone the second time, recover from a killed session, and stop exactly it', async () => {
    const ports = {
      MP_REGISTRY_PORT: String(await freePort()),
      MP_AUTH_REGISTRY_PORT: String(await freePort()),
      MP_TOKEN_REGISTRY_PORT: String(await freePort()),
      MP_TOKEN_SERVICE_PORT: String(await freePort()),
    };
    // The bridge as an older engine-up.sh left it: its address never set, so it follows its ports.
    execFileSync('ip', ['link', 'add', 'name', env.MP_BRIDGE, 'type', 'bridge']);
    expect(bridgeAddress().assigned).not.toBe(NET_ADDR_SET);
    const first = script('engine-up.sh', ports);
    expect(first.stderr).toContain('dockerd is up');
    expect(first.code).toBe(0);
    const socket = `${stateDir}/docker.sock`;
    // Its address is set now, and containers that come and go never change it (a change loses the
    // packets of every container still sending to the old one).
    const bridge = bridgeAddress();
    expect(bridge.assigned).toBe(NET_ADDR_SET);
    const docker = (...args: string[]): string =>
      execFileSync('docker', ['-H', `unix://${socket}`, ...args], { encoding: 'utf8' }).trim();
    const seen = new Set<string>();
    for (let index = 0; index < 6; index += 1) {
      docker('run', '-d', '--name', `churn-${suffix}-${index}`, 'mesos-pipeline/busybox:static', 'sleep', '60');
      seen.add(bridgeAddress().address);
    }
    docker('rm', '-f', ...Array.from({ length: 6 }, (_, index) => `churn-${suffix}-${index}`));
    seen.add(bridgeAddress().address);
    expect([...seen]).toEqual([bridge.address]);
    expect(first.stdout).toContain(`export DOCKER_HOST=unix://${socket}`);
    expect(first.stdout).toContain(`export MP_REGISTRY=127.0.0.1:${ports.MP_REGISTRY_PORT}`);
    expect(first.stdout).toContain(`export MP_TOKEN_REGISTRY=127.0.0.1:${ports.MP_TOKEN_REGISTRY_PORT}`);
    expect(first.stdout).toContain(`export MP_TOKEN_REALM=http://127.0.0.1:${ports.MP_TOKEN_SERVICE_PORT}/token`);
    expect(first.stdout).toContain('export MP_TOKEN_LIFETIME=300');
    expect(first.stdout).not.toContain(readFileSync(`${stateDir}/auth/password`, 'utf8').trim());
    expect(answers(socket)).toBe(true);
    const pids = pidFiles.map(pidOf);
    expect(pids.every(alive)).toBe(true);
    // Docker Hub's flow end to end: the registry's challenge, a token for the stack's user, accepted.
    expect(await tokenRoundTrip(ports, 'ns/app')).toEqual({ expiresIn: 300, status: 404 });

    // Twice in a row: a no-op, the same processes, nothing started.
    const second = script('engine-up.sh', ports);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain('starting');
    expect(pidFiles.map(pidOf)).toEqual(pids);

    // Another token lifetime restarts the token service alone; the registry trusts its new tokens.
    const shortLived = script('engine-up.sh', { ...ports, MP_TOKEN_LIFETIME: '7' });
    expect(shortLived.code).toBe(0);
    expect(shortLived.stderr).toContain('starting the token service');
    expect(shortLived.stdout).toContain('export MP_TOKEN_LIFETIME=7');
    const afterLifetime = pidFiles.map(pidOf);
    expect(afterLifetime.slice(0, 4)).toEqual(pids.slice(0, 4));
    expect(afterLifetime[4]).not.toBe(pids[4]);
    expect(alive(pids[4] as number)).toBe(false);
    expect(await tokenRoundTrip(ports, 'ns/app')).toEqual({ expiresIn: 7, status: 404 });

    // A killed session: every process gone at once, pid files, socket and mounts left behind.
    const containerd = pidOf('exec/containerd/containerd.pid');
    execFileSync('kill', ['-9', ...afterLifetime.map(String), String(containerd)]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(answers(socket)).toBe(false);
    const recovered = script('engine-up.sh', ports);
    expect(recovered.stderr).toContain('dockerd is up');
    expect(recovered.code).toBe(0);
    expect(answers(socket)).toBe(true);
    const restarted = pidFiles.map(pidOf);
    expect(restarted.every(alive)).toBe(true);
    for (const [index, pid] of restarted.entries()) expect(pid).not.toBe(afterLifetime[index]);
    expect(await tokenRoundTrip(ports, 'ns/app')).toEqual({ expiresIn: 300, status: 404 });
    // The bridge outlived the killed session and kept its address.
    expect(bridgeAddress()).toEqual(bridge);

    const down = script('engine-down.sh', {});
    expect(down.code).toBe(0);
    expect(restarted.some(alive)).toBe(false);
    for (const file of pidFiles) expect(existsSync(path.join(stateDir, file))).toBe(false);
    expect(answers(socket)).toBe(false);
    expect(mountsUnder()).toEqual([]);
    expect(spawnSync('ip', ['link', 'show', env.MP_BRIDGE]).status).not.toBe(0);
  });
});
