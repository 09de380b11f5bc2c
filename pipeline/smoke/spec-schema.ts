import { z } from 'zod';

// smoke.json, modelled on GoogleContainerTools/container-structure-test (commandTests,
// fileExistenceTests, fileContentTests, metadataTest: same field names) and extended with
// serviceTests: start the container, then run ordered steps against it.

const name = z.string().min(1, 'must not be empty');
const argv = z.array(z.string()).min(1, 'must hold at least the program to run');
const patterns = z.array(z.string());
const env = z.record(z.string(), z.string());
const seconds = z.number().positive('must be a positive number of seconds').max(86_400);

export const portSchema = z.union([
  z.number().int().min(1).max(65_535),
  z.string().regex(/^\d{1,5}(\/(tcp|udp))?$/, 'must be a port such as 8080 or "8080/tcp"'),
]);

export const commandTestSchema = z
  .object({
    name,
    command: argv,
    /** Replaces the image's entrypoint; by default it is cleared so `command` runs as given. */
    entrypoint: z.array(z.string()).optional(),
    env: env.optional(),
    user: z.string().optional(),
    exitCode: z.number().int().optional(),
    expectedOutput: patterns.optional(),
    excludedOutput: patterns.optional(),
    expectedError: patterns.optional(),
    excludedError: patterns.optional(),
    timeoutSeconds: seconds.optional(),
  })
  .strict();

export const fileExistenceTestSchema = z
  .object({
    name,
    path: z.string().startsWith('/', 'must be an absolute path'),
    shouldExist: z.boolean().optional(),
    permissions: z
      .string()
      .regex(
        /^[-dlLpcbsDtTu][-r][-w][-xsS][-r][-w][-xsS][-r][-w][-xtT]$/,
        'must look like ls -l, for example -rwxr-xr-x',
      )
      .optional(),
    isExecutableBy: z.enum(['owner', 'group', 'other', 'any']).optional(),
    type: z.enum(['file', 'directory', 'symlink']).optional(),
  })
  .strict();

export const fileContentTestSchema = z
  .object({
    name,
    path: z.string().startsWith('/', 'must be an absolute path'),
    expectedContents: patterns.optional(),
    excludedContents: patterns.optional(),
  })
  .strict();

const keyValue = z.object({ key: z.string().min(1), value: z.string(), isRegex: z.boolean().optional() }).strict();

export const metadataTestSchema = z
  .object({
    labels: z.array(keyValue).optional(),
    env: z.array(keyValue).optional(),
    exposedPorts: z.array(z.string()).optional(),
    unexposedPorts: z.array(z.string()).optional(),
    entrypoint: z.array(z.string()).optional(),
    cmd: z.array(z.string()).optional(),
    workdir: z.string().optional(),
    user: z.string().optional(),
    stopSignal: z.string().optional(),
    volumes: z.array(z.string()).optional(),
  })
  .strict();

export const runOptionsSchema = z
  .object({
    command: z.array(z.string()).optional(),
    entrypoint: z.array(z.string()).optional(),
    env: env.optional(),
    user: z.string().optional(),
    /** Container ports published on 127.0.0.1 at ports the engine picks; steps name these. */
    ports: z.array(portSchema).optional(),
    privileged: z.boolean().optional(),
    capAdd: z.array(z.string()).optional(),
    capDrop: z.array(z.string()).optional(),
    securityOpt: z.array(z.string()).optional(),
    tmpfs: env.optional(),
    volumes: z.array(z.string().startsWith('/', 'must be an absolute path in the container')).optional(),
    cgroupns: z.enum(['host', 'private']).optional(),
  })
  .strict();

const httpFields = {
  port: portSchema,
  path: z.string().startsWith('/', 'must start with /'),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).optional(),
  headers: env.optional(),
  json: z.unknown().optional(),
  body: z.string().optional(),
  /** Statuses that count as an answer; default any 2xx. */
  status: z.array(z.number().int().min(100).max(599)).min(1).optional(),
  bodyMatches: z.string().optional(),
};

/** A name a pollJson step saves a value under, for a later `sameAs`. */
const savedName = z.string().regex(/^[A-Za-z_][\w-]*$/, 'must be a name such as frameworkId');

/**
 * A cgroup path relative to the root of each hierarchy (`mesos`, `docker/*\/mesos`): segments of
 * letters, digits and `._:@-`, where `*` stands for any run of them within one segment.
 */
const cgroupPattern = z
  .string()
  .regex(
    /^(?!.*(^|\/)\.\.?(\/|$))[\w.:@*-]+(\/[\w.:@*-]+)*$/,
    'must be a cgroup path relative to a hierarchy root, such as mesos or docker/*/mesos',
  );

export const predicateSchema = z
  .object({
    /** A JSONPath into the response, such as `$.activated_slaves` or `$.frameworks[*].tasks[*].state`. */
    path: z.string().startsWith('$', 'must be a JSONPath starting with $'),
    equals: z.unknown().optional(),
    notEquals: z.unknown().optional(),
    gte: z.number().optional(),
    lte: z.number().optional(),
    matches: z.string().optional(),
    exists: z.boolean().optional(),
    count: z.number().int().min(0).optional(),
    minCount: z.number().int().min(0).optional(),
    /** Holds when a selected value equals the one an earlier step saved under this name. */
    sameAs: savedName.optional(),
  })
  .strict()
  .refine(
    (p) =>
      ['equals', 'notEquals', 'gte', 'lte', 'matches', 'exists', 'count', 'minCount', 'sameAs'].filter(
        (key) => key in p,
      ).length === 1,
    {
      message: 'needs exactly one of equals, notEquals, gte, lte, matches, exists, count, minCount, sameAs',
    },
  );

export const stepSchema = z
  .object({
    name: z.string().optional(),
    waitHttp: z
      .object({ ...httpFields, timeoutSeconds: seconds, intervalMs: z.number().int().min(50).optional() })
      .strict()
      .optional(),
    http: z
      .object({ ...httpFields, timeoutSeconds: seconds.optional() })
      .strict()
      .optional(),
    pollJson: z
      .object({
        ...httpFields,
        until: z.array(predicateSchema).min(1),
        /** Values to keep for later steps' `sameAs`: name -> JSONPath (its first match). */
        save: z.record(savedName, z.string().startsWith('$', 'must be a JSONPath starting with $')).optional(),
        timeoutSeconds: seconds,
        intervalMs: z.number().int().min(50).optional(),
      })
      .strict()
      .optional(),
    exec: z
      .object({
        command: argv,
        user: z.string().optional(),
        exitCode: z.number().int().optional(),
        expectedOutput: patterns.optional(),
        excludedOutput: patterns.optional(),
        timeoutSeconds: seconds.optional(),
      })
      .strict()
      .optional(),
    stop: z
      .object({
        timeoutSeconds: seconds.optional(),
        expectNoCgroups: z.boolean().optional(),
        /**
         * Cgroups that must not appear on the host during the test: paths relative to every
         * hierarchy root (`mesos` finds /sys/fs/cgroup/memory/mesos on cgroup v1, /sys/fs/cgroup/mesos
         * on v2). Checked after the stop against what existed before the container started.
         */
        noCgroupsMatching: z.array(cgroupPattern).min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((step) => ['waitHttp', 'http', 'pollJson', 'exec', 'stop'].filter((key) => key in step).length === 1, {
    message: 'each step is exactly one of waitHttp, http, pollJson, exec, stop',
  });

export const serviceTestSchema = z
  .object({
    name,
    run: runOptionsSchema.optional(),
    timeoutSeconds: seconds.optional(),
    steps: z.array(stepSchema).min(1, 'a service test needs at least one step'),
  })
  .strict();

export const smokeSpecSchema = z
  .object({
    $schema: z.string().optional(),
    commandTests: z.array(commandTestSchema).optional(),
    fileExistenceTests: z.array(fileExistenceTestSchema).optional(),
    fileContentTests: z.array(fileContentTestSchema).optional(),
    metadataTest: metadataTestSchema.optional(),
    serviceTests: z.array(serviceTestSchema).optional(),
  })
  .strict()
  .refine(
    (spec) =>
      (spec.commandTests?.length ?? 0) +
        (spec.fileExistenceTests?.length ?? 0) +
        (spec.fileContentTests?.length ?? 0) +
        (spec.serviceTests?.length ?? 0) >
        0 || spec.metadataTest !== undefined,
    {
      message:
        'a smoke spec needs at least one test: commandTests, fileExistenceTests, fileContentTests, metadataTest or serviceTests',
    },
  );

export type SmokeSpec = z.infer<typeof smokeSpecSchema>;
export type CommandTest = z.infer<typeof commandTestSchema>;
export type FileExistenceTest = z.infer<typeof fileExistenceTestSchema>;
export type FileContentTest = z.infer<typeof fileContentTestSchema>;
export type MetadataTest = z.infer<typeof metadataTestSchema>;
export type ServiceTest = z.infer<typeof serviceTestSchema>;
export type Step = z.infer<typeof stepSchema>;
export type Predicate = z.infer<typeof predicateSchema>;
export type RunOptions = z.infer<typeof runOptionsSchema>;
