import type * as Fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { CHECKED_INPUTS_FILE, checkedKey, type passedAtBuild } from '../../../pipeline/family/checked-inputs.js';
import { repoRoot } from '../../helpers/paths.js';

// passedAtBuild reads the record `npm run build` writes (checked-inputs.test.ts pins what goes in it).
// These tests load checked-inputs.ts afresh with node:fs standing in for the record, which resets the
// module registry: apart from the other tests, whose loadFamily would then see a second ConfigError class.

const BASE_DOCKERFILE = 'FROM mesos-pipeline/busybox:static\n';
const CHILD_DOCKERFILE = 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n';

describe('passedAtBuild with a record beside the code', () => {
  // From the sources there is no record, so the read is stood in for: node:fs answers the record's
  // path with a record, and the module is loaded afresh so that it has not read one yet.
  async function withRecord(record: string): Promise<{ passed: typeof passedAtBuild; reads: () => number }> {
    const recordPath = path.join(repoRoot, 'pipeline/family', CHECKED_INPUTS_FILE);
    let reads = 0;
    vi.resetModules();
    vi.doMock('node:fs', async (importOriginal) => {
      const fs = await importOriginal<typeof Fs>();
      const readRecord = (file: unknown, ...rest: unknown[]): unknown => {
        const named = file instanceof URL ? fileURLToPath(file) : String(file);
        if (named !== recordPath) return (fs.readFileSync as (...args: unknown[]) => unknown)(file, ...rest);
        reads += 1;
        return record;
      };
      return { ...fs, default: { ...fs, readFileSync: readRecord }, readFileSync: readRecord };
    });
    try {
      const module = await import('../../../pipeline/family/checked-inputs.js');
      return { passed: module.passedAtBuild, reads: () => reads };
    } finally {
      vi.doUnmock('node:fs');
    }
  }

  it('takes exactly the recorded texts as checked', async () => {
    const { passed } = await withRecord(JSON.stringify({ passed: [checkedKey('Dockerfile', BASE_DOCKERFILE)] }));
    expect(passed('Dockerfile', BASE_DOCKERFILE)).toBe(true);
    expect(passed('Dockerfile', CHILD_DOCKERFILE)).toBe(false);
    expect(passed('Dockerfile of a child', BASE_DOCKERFILE)).toBe(false);
  });

  it('reads the record once, not once for every input it is asked about', async () => {
    const { passed, reads } = await withRecord(JSON.stringify({ passed: [] }));
    for (const text of [BASE_DOCKERFILE, CHILD_DOCKERFILE, `${CHILD_DOCKERFILE}RUN true\n`]) passed('Dockerfile', text);
    expect(reads()).toBe(1);
  });

  it('takes nothing as checked when the record is not JSON', async () => {
    const { passed } = await withRecord(`{"passed": ["${checkedKey('Dockerfile', BASE_DOCKERFILE)}"]`);
    expect(passed('Dockerfile', BASE_DOCKERFILE)).toBe(false);
  });
});
