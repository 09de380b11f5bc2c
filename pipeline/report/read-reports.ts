import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, errorMessage } from '../errors.js';
import { zodProblems } from '../family/zod-problems.js';
import { runReportSchema, type RunReport } from '../publish/report.js';

// The report's own schema (publish/report.ts) checks it: one definition of the shape. Keys it does
// not know are dropped, not refused, so reports from a newer pipeline with more fields still read.

/** A plan has what no run report has: an images folder and a creation time, and no run id. */
function isPlan(raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null) return false;
  const value = raw as Record<string, unknown>;
  return 'imagesDir' in value && 'createdAt' in value && !('runId' in value) && !('command' in value);
}

/** Reads `publish --report` files; a file that is not one is bad input naming every problem. */
export async function readReports(files: readonly string[], cwd: string): Promise<RunReport[]> {
  const reports: RunReport[] = [];
  for (const file of files) {
    const full = path.resolve(cwd, file);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(full, 'utf8'));
    } catch (error) {
      throw new ConfigError(file, [
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'no such file; give the files publish --report wrote'
          : `not a JSON run report: ${errorMessage(error)}`,
      ]);
    }
    if (isPlan(raw))
      throw new ConfigError(file, [
        'this is a plan (written by plan --json), not a run report; give the JSON files publish --report wrote',
      ]);
    const parsed = runReportSchema.safeParse(raw);
    if (!parsed.success) throw new ConfigError(file, zodProblems(parsed.error));
    reports.push(parsed.data);
  }
  return reports;
}
