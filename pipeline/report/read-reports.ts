import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, errorMessage } from '../errors.js';
import { zodProblems } from '../family/zod-problems.js';
import { REPORT_VERSION, type RunReport } from '../publish/report.js';

// Only what the summary and the issues rely on is checked; loose objects keep every other field,
// so reports from a newer pipeline with more fields still read.
const imageSchema = z.looseObject({
  name: z.string(),
  status: z.string(),
  tags: z.array(z.string()),
  durations: z.looseObject({}),
});
const branchSchema = z.looseObject({
  branch: z.string(),
  sha: z.string(),
  status: z.enum(['planned', 'tested', 'published', 'unchanged', 'failed', 'interrupted']),
  durationMs: z.number(),
  images: z.array(imageSchema),
  failure: z.looseObject({ step: z.string(), message: z.string() }).optional(),
});
const reportSchema = z.looseObject({
  version: z.literal(REPORT_VERSION),
  command: z.literal('publish'),
  runId: z.string(),
  date: z.string(),
  registry: z.string(),
  finishedAt: z.string(),
  branches: z.array(branchSchema),
});

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
    const parsed = reportSchema.safeParse(raw);
    if (!parsed.success) throw new ConfigError(file, zodProblems(parsed.error));
    reports.push(parsed.data as unknown as RunReport);
  }
  return reports;
}
