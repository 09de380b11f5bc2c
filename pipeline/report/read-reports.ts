import path from 'node:path';
import { ConfigError, errorMessage } from '../errors.js';
import { readJsonConfig } from '../family/json-config.js';
import { runReportSchema, type RunReport } from '../publish/report.js';

// The report's own schema (publish/report.ts) checks it: one definition of the shape. Keys it does
// not know are dropped, not refused, so reports from a newer pipeline with more fields still read.

/** Reads `publish --report` files; a file that is not one is bad input naming every problem. */
export async function readReports(files: readonly string[], cwd: string): Promise<RunReport[]> {
  const reports: RunReport[] = [];
  for (const file of files) {
    const report = await readJsonConfig(path.resolve(cwd, file), runReportSchema, {
      label: file,
      unreadable: (error) =>
        new ConfigError(file, [
          (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'no such file; give the files publish --report wrote'
            : `not a JSON run report: ${errorMessage(error)}`,
        ]),
    });
    reports.push(report);
  }
  return reports;
}
