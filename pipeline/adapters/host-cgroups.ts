import { access, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { HostCgroups } from '../ports.js';

/**
 * Looks for a container's cgroups on this host, the one the engine runs on (a local socket).
 * Whatever the driver and version (`cpu/docker/<id>`, `system.slice/docker-<id>.scope`, or nested
 * `docker/<id>/mesos/...`), a cgroup of the container has its full id in its path.
 */
export class LocalHostCgroups implements HostCgroups {
  private readonly root: string;
  private readonly maxDepth: number;

  constructor(root = '/sys/fs/cgroup', maxDepth = 5) {
    this.root = root;
    this.maxDepth = maxDepth;
  }

  async pathsOf(containerId: string): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string, depth: number): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        // Symlinks (cpu -> cpu,cpuacct on v1) would visit the same hierarchy twice.
        if (!entry.isDirectory() || entry.isSymbolicLink()) continue;
        const full = path.join(dir, entry.name);
        if (entry.name.includes(containerId)) {
          found.push(full);
          continue;
        }
        if (depth < this.maxDepth) await walk(full, depth + 1);
      }
    };
    await walk(this.root, 1);
    return found.sort();
  }

  /**
   * The roots of the hierarchies mounted here: the root itself on cgroup v2 (one unified
   * hierarchy), else each directory below it (cgroup v1: memory, cpu,cpuacct, systemd, and the
   * unified hierarchy of a hybrid host). Symlinks (cpu -> cpu,cpuacct) are the same hierarchy.
   */
  private async hierarchies(): Promise<string[]> {
    const unified = await access(path.join(this.root, 'cgroup.controllers')).then(
      () => true,
      () => false,
    );
    if (unified) return [this.root];
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    return entries.filter((entry) => entry.isDirectory()).map((entry) => path.join(this.root, entry.name));
  }

  async matching(patterns: readonly string[]): Promise<string[]> {
    const found = new Set<string>();
    const expand = async (dir: string, segments: readonly string[]): Promise<void> => {
      const [segment, ...rest] = segments;
      if (segment === undefined) {
        found.add(dir);
        return;
      }
      const regex = new RegExp(`^${segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries)
        if (entry.isDirectory() && regex.test(entry.name)) await expand(path.join(dir, entry.name), rest);
    };
    for (const hierarchy of await this.hierarchies())
      for (const pattern of patterns) await expand(hierarchy, pattern.split('/'));
    return [...found].sort();
  }
}
