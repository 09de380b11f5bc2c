import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { planSchema } from '../../../pipeline/plan/plan-schema.js';
import { runReportSchema } from '../../../pipeline/publish/report.js';
import type { Plan } from '../../../pipeline/plan/plan.js';
import { jsonSchemaFiles, SCHEMAS_DIR } from '../../../pipeline/schemas/json-schemas.js';
import { fixtures, repoRoot } from '../../helpers/paths.js';

const dir = path.join(repoRoot, SCHEMAS_DIR);
const generated = jsonSchemaFiles();
const read = (file: string): string => readFileSync(file, 'utf8');

function validator(name: string) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  return ajv.compile(JSON.parse(generated.get(name) as string) as object);
}

// Plans have a TypeScript type of their own beside the zod schema the JSON Schema is made from:
// this fails to compile when one changes without the other.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const planSchemaIsThePlan: Same<z.infer<typeof planSchema>, Plan> = true;

describe('the committed JSON Schemas', () => {
  it('are exactly what `npm run schemas` generates today (after a shape change, run it and commit)', () => {
    const committed = readdirSync(dir).filter((file) => file.endsWith('.schema.json'));
    expect(committed.sort()).toEqual([...generated.keys()].sort());
    for (const [name, text] of generated) expect(read(path.join(dir, name)), name).toBe(text);
    expect(planSchemaIsThePlan).toBe(true);
  });

  it('are referenced by $schema from the files we ship, by a path that resolves', () => {
    const shipped = [
      ['dockerfiles/images.json', 'images.schema.json'],
      ['dockerfiles/mesos-centos/smoke.json', 'smoke-spec.schema.json'],
      ['dockerfiles/mesos-mini/smoke.json', 'smoke-spec.schema.json'],
    ];
    for (const [file, schema] of shipped) {
      const { $schema } = JSON.parse(read(path.join(repoRoot, file as string))) as { $schema: string };
      expect(path.resolve(repoRoot, path.dirname(file as string), $schema), file).toBe(
        path.join(dir, schema as string),
      );
    }
  });
});

describe('what the JSON Schemas accept, checked by a JSON Schema validator', () => {
  it('accepts the shipped images.json and smoke specs, and the fixture families', () => {
    const images = validator('images.schema.json');
    const smoke = validator('smoke-spec.schema.json');
    expect(
      images(JSON.parse(read(path.join(repoRoot, 'dockerfiles/images.json')))),
      JSON.stringify(images.errors),
    ).toBe(true);
    const specs = [
      'dockerfiles/mesos-centos/smoke.json',
      'dockerfiles/mesos-mini/smoke.json',
      ...['family', 'bench-family'].flatMap((family) =>
        readdirSync(path.join(fixtures, family), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => path.join('test/fixtures', family, entry.name, 'smoke.json')),
      ),
    ];
    for (const file of specs)
      expect(smoke(JSON.parse(read(path.join(repoRoot, file)))), `${file}: ${JSON.stringify(smoke.errors)}`).toBe(true);
  });

  it('accepts the c-s-t JSON configs and refuses what the pipeline refuses', () => {
    const smoke = validator('smoke-spec.schema.json');
    for (const file of ['debian_test.json', 'structure_test_test.json'])
      expect(smoke(JSON.parse(read(path.join(fixtures, 'cst/upstream', file)))), file).toBe(true);
    expect(smoke({ commandTests: [{ name: 'a', command: 'x', expectOutput: ['typo'] }] })).toBe(false);
    expect(smoke({ containerRunOptions: { bindMounts: ['/a:/b'] }, commandTests: [] })).toBe(false);
    expect(smoke({ fileExistenceTests: [{ name: 'f', path: '/x', permissions: '755' }] })).toBe(false);
  });

  it('describes a real plan and a real run report', () => {
    const plan = validator('plan.schema.json');
    const report = validator('run-report.schema.json');
    const sha = 'a'.repeat(40);
    // A plan as plan --json writes it: the pipeline's validator also checks what its fields say.
    const image = {
      name: 'app',
      context: 'app',
      tags: { dated: '127.0.0.1:5000/mesos/app:master-2026-01-01', floating: '127.0.0.1:5000/mesos/app:master' },
      buildArgs: { GIT_REPO: 'https://x', GIT_SHA: sha },
      labels: { 'org.opencontainers.image.source': 'https://x', 'org.opencontainers.image.revision': sha },
    };
    const aPlan = {
      version: 2,
      date: '2026-01-01',
      registry: '127.0.0.1:5000/mesos',
      repo: 'https://x',
      createdAt: '2026-01-01T00:00:00.000Z',
      imagesDir: '/x',
      branches: [
        {
          branch: 'master',
          sha,
          version: 'master',
          versionPattern: '.*',
          host: { cgroupVersions: [1, 2], privileged: false },
          images: [image],
        },
      ],
    };
    expect(plan(aPlan), JSON.stringify(plan.errors)).toBe(true);
    expect(plan({ ...aPlan, version: 1 })).toBe(false);
    const aReport = {
      version: 1,
      command: 'publish',
      runId: 'run',
      date: '2026-01-01',
      registry: 'r',
      repo: 'https://x',
      startedAt: 't',
      finishedAt: 't',
      durationMs: 1,
      status: 'failed',
      options: { push: true, force: false, keep: false },
      branches: [
        {
          branch: 'master',
          sha,
          version: 'master',
          status: 'failed',
          durationMs: 1,
          images: [
            {
              name: 'app',
              status: 'failed',
              tags: [],
              durations: { smokeMs: 3 },
              smoke: [{ kind: 'license', name: 'licenseTests[0]', ok: false, durationMs: 3, problems: ['x'] }],
            },
          ],
          failure: { step: 'smoke', message: 'm', tests: ['licenseTests[0]'] },
        },
      ],
    };
    expect(report(aReport), JSON.stringify(report.errors)).toBe(true);
    // The pipeline's own validators take a $schema key as well.
    expect(planSchema.safeParse({ ...aPlan, $schema: './plan.schema.json' }).success).toBe(true);
    expect(runReportSchema.safeParse({ ...aReport, $schema: './run-report.schema.json' }).success).toBe(true);
    expect(report({ ...aReport, status: 'done' })).toBe(false);
    expect(report(aPlan)).toBe(false);
  });
});
