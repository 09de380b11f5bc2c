import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EngineInfo, HostFact, HostFacts } from '../ports.js';

// The capabilities by number (linux/capability.h), for saying which one is missing.
const CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
]; // prettier-ignore

export interface LocalHostFactsOptions {
  /** The engine, as `docker info` describes it. */
  engine: EngineInfo;
  /** This machine's host name, to tell whether the engine runs here. */
  hostname: string;
  /**
   * Where the host's /proc, /sys and /lib/modules are: `/` normally. Anything else makes every fact
   * come from that tree (MESOS_PIPELINE_HOST_ROOT): for tests, and for checking a machine's
   * facts copied elsewhere.
   */
  root?: string;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

async function readText(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch(() => undefined);
}

/**
 * Host facts read from this machine's /proc, /sys and /lib/modules when the engine runs here
 * (a local socket and the same host name as the engine reports), else from the engine alone.
 * What cannot be read is `unknown`, never guessed.
 */
export class LocalHostFacts implements HostFacts {
  private readonly engine: EngineInfo;
  private readonly root: string;
  private readonly overridden: boolean;
  private readonly local: boolean;

  constructor(options: LocalHostFactsOptions) {
    this.engine = options.engine;
    this.root = options.root ?? '/';
    this.overridden = this.root !== '/';
    this.local =
      this.overridden || (options.engine.address.startsWith('unix://') && options.engine.name === options.hostname);
  }

  private at(...parts: string[]): string {
    return path.join(this.root, ...parts);
  }

  async cgroupVersion(): Promise<1 | 2 | undefined> {
    if (!this.overridden) {
      if (this.engine.cgroupVersion === '2') return 2;
      if (this.engine.cgroupVersion === '1') return 1;
    }
    const cgroup = this.at('sys/fs/cgroup');
    if (await exists(path.join(cgroup, 'cgroup.controllers'))) return 2;
    const entries = await readdir(cgroup, { withFileTypes: true }).catch(() => []);
    return entries.some((entry) => entry.isDirectory()) ? 1 : undefined;
  }

  async privileged(): Promise<HostFact> {
    const rootless = this.engine.securityOptions.some((option) => /(^|,)name=rootless(,|$)/.test(option));
    if (rootless)
      return { status: 'no', why: 'the engine runs rootless, where a privileged container gets no real privileges' };
    if (!this.local)
      return {
        status: 'unknown',
        why: `the engine runs on ${this.engine.name || 'another machine'}, whose capabilities cannot be read from here`,
      };
    const status = await readText(this.at('proc/self/status'));
    const last = Number((await readText(this.at('proc/sys/kernel/cap_last_cap')))?.trim());
    const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status ?? '')?.[1];
    if (bounding === undefined || !Number.isInteger(last))
      return { status: 'unknown', why: 'the capability bounding set cannot be read from /proc' };
    // `docker run --privileged` asks for every capability the kernel has; the runtime fails
    // ("unable to apply caps") when one is outside the bounding set the engine runs with.
    const set = BigInt(`0x${bounding}`);
    const missing = CAPABILITIES.slice(0, last + 1).filter((_, bit) => (set & (1n << BigInt(bit))) === 0n);
    if (missing.length === 0) return { status: 'yes' };
    return {
      status: 'no',
      why:
        `the engine cannot grant ${missing.map((name) => `CAP_${name}`).join(', ')} (outside its ` +
        `capability bounding set), so \`docker run --privileged\` fails here`,
    };
  }

  async kernelModules(modules: readonly string[]): Promise<{ missing: string[]; unknown: string[] }> {
    if (!this.local) return { missing: [], unknown: [...modules] };
    const release = (await readText(this.at('proc/sys/kernel/osrelease')))?.trim() ?? '';
    const dir = this.at('lib/modules', release);
    const builtin = release ? await readText(path.join(dir, 'modules.builtin')) : undefined;
    const loadable = release ? await readText(path.join(dir, 'modules.dep')) : undefined;
    const listed = (text: string | undefined, name: string): boolean =>
      text !== undefined &&
      new RegExp(`(^|/)${name.replace(/[-_]/g, '[-_]')}\\.ko(\\.(xz|gz|zst))?(:|$)`, 'm').test(text);
    const missing: string[] = [];
    const unknown: string[] = [];
    for (const name of modules) {
      // Loaded, or built in with parameters: /sys/module lists it (always with underscores).
      if (await exists(this.at('sys/module', name.replace(/-/g, '_')))) continue;
      if (listed(builtin, name) || listed(loadable, name)) continue;
      // Without the module lists of the running kernel, absence from /sys/module proves nothing.
      if (builtin === undefined || loadable === undefined) unknown.push(name);
      else missing.push(name);
    }
    return { missing, unknown };
  }
}
