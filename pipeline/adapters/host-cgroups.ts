import { readdir } from 'node:fs/promises';
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
}
