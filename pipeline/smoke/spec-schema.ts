import { z } from 'zod';

// A smoke spec (smoke.json, smoke.yaml or smoke.yml) is a container-structure-test config as
// GoogleContainerTools/container-structure-test writes it (schemaVersion 1.0.0 and 2.0.0: the same
// field names and meanings), plus our extensions: serviceTests (start the container, then run
// ordered steps against it) and a few fields marked "ours" below. c-s-t fields we cannot honour
// are declared with `unsupported`, so that using one is an error that names it and says why.

const name = z.string().min(1, 'must not be empty');
const argv = z.array(z.string()).min(1, 'must hold at least the program to run');
const patterns = z.array(z.string());
const env = z.record(z.string(), z.string());
const seconds = z.number().positive('must be a positive number of seconds').max(86_400);

/** A c-s-t field we refuse: present at all, it is an error saying why. */
function unsupported(why: string) {
  return z
    .never({ error: `not supported: ${why}` })
    .optional()
    .describe(`Not supported: ${why}`);
}

/** c-s-t's EnvVar as a variable to set: `$NAME` and `${NAME}` in the value read the image's environment. */
export const envVarSchema = z
  .object({ key: z.string().min(1, 'must name the variable'), value: z.string() })
  .strict()
  .describe('A variable to set; $NAME and ${NAME} in the value are replaced from the image environment.');

export const portSchema = z.union([
  z.number().int().min(1).max(65_535),
  z.string().regex(/^\d{1,5}(\/(tcp|udp))?$/, 'must be a port such as 8080 or "8080/tcp"'),
]);

export const commandTestSchema = z
  .object({
    name,
    /** c-s-t 2.0.0: the program, with `args`; 1.0.0 and ours: the whole argv as an array. */
    command: z
      .union([z.string().min(1, 'must name the program to run'), argv], {
        error: 'must be the program to run (with its arguments in args) or an array such as ["sh", "-c", "..."]',
      })
      .describe('The program to run (2.0.0, with args) or the whole command as an array (1.0.0).'),
    args: z.array(z.string()).optional().describe('Arguments appended to command.'),
    /** Each runs in its own container; the next one, and the command, start from what it left. */
    setup: z.array(argv).optional().describe('Commands run before the test, each in the state the previous left.'),
    teardown: z.array(argv).optional().describe('Commands run after the test, in the state the command left.'),
    envVars: z.array(envVarSchema).optional(),
    env: unsupported('a command test sets variables with envVars: [{ key, value }], as container-structure-test does'),
    /** Ours: replaces the image's entrypoint; by default it is cleared so `command` runs as given. */
    entrypoint: z.array(z.string()).optional(),
    /** Ours: the user to run as; containerRunOptions.user applies to every test. */
    user: z.string().optional(),
    exitCode: z.number().int().optional(),
    expectedOutput: patterns.optional(),
    excludedOutput: patterns.optional(),
    expectedError: patterns.optional(),
    excludedError: patterns.optional(),
    /** Ours: the whole test, setup and teardown included; default 120. */
    timeoutSeconds: seconds.optional(),
  })
  .strict();

// Go's os.FileMode.String(), which c-s-t compares: type letters (d directory, L symlink,
// u setuid, g setgid, t sticky, ...) in Go's order, or "-", then rwx three times.
const GO_FILE_MODE = /^(?:-|(?=[dalTLDpSugct?])d?a?l?T?L?D?p?S?u?g?c?t?\??)(?:[-r][-w][-x]){3}$/;
const uid = z.number().int().min(0, 'must be a numeric id, 0 or more');

export const fileExistenceTestSchema = z
  .object({
    name,
    path: z.string().startsWith('/', 'must be an absolute path'),
    shouldExist: z.boolean().optional().describe('Default true.'),
    permissions: z
      .string()
      .regex(
        GO_FILE_MODE,
        "must be a mode as container-structure-test prints it (Go's os.FileMode): -rwxr-xr-x, drwxr-xr-x, " +
          'Lrwxrwxrwx, urwxr-xr-x (setuid), dtrwxrwxrwx (sticky)',
      )
      .optional(),
    uid: uid.optional().describe('The numeric id of the owner.'),
    gid: uid.optional().describe('The numeric id of the group.'),
    isExecutableBy: z.enum(['owner', 'group', 'other', 'any']).optional(),
    /** In older c-s-t configs (their 1.0.0 JSON tests); c-s-t ignores it now, we check it. */
    isDirectory: z.boolean().optional().describe('Whether the path is a directory (older c-s-t configs).'),
    /** Ours. */
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
    envVars: z.array(keyValue).optional(),
    env: unsupported('renamed envVars, as container-structure-test names it'),
    unboundEnvVars: z
      .array(z.object({ key: z.string().min(1) }).strict())
      .optional()
      .describe('Variables the image must not set.'),
    exposedPorts: z.array(z.string()).optional(),
    unexposedPorts: z.array(z.string()).optional(),
    entrypoint: z.array(z.string()).optional(),
    cmd: z.array(z.string()).optional(),
    workdir: z.string().optional(),
    user: z.string().optional(),
    /** Ours. */
    stopSignal: z.string().optional(),
    volumes: z.array(z.string()).optional(),
    unmountedVolumes: z.array(z.string()).optional().describe('Volumes the image must not declare.'),
  })
  .strict();

export const licenseTestSchema = z
  .object({
    debian: z.boolean().describe('Check the copyright file of every package in /usr/share/doc.'),
    files: z.array(z.string().startsWith('/', 'must be an absolute path')).optional(),
  })
  .strict();

/** c-s-t's containerRunOptions: how the containers of command tests run. */
export const containerRunOptionsSchema = z
  .object({
    user: z.string().optional(),
    privileged: z.boolean().optional(),
    capabilities: z.array(z.string().min(1)).optional().describe('Linux capabilities to add (--cap-add).'),
    allocateTty: unsupported('output is read as separate stdout and stderr, which a TTY would merge'),
    envVars: unsupported(
      "a smoke test may not depend on the pipeline's own environment (it holds registry credentials); set " +
        'values with globalEnvVars',
    ),
    envFile: unsupported('a smoke test may not depend on files of the host running the pipeline; use globalEnvVars'),
    bindMounts: unsupported('a smoke test may not depend on files of the host running the pipeline'),
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

const TEST_LISTS = ['commandTests', 'fileExistenceTests', 'fileContentTests', 'licenseTests', 'serviceTests'] as const;

export const smokeSpecSchema = z
  .object({
    $schema: z.string().optional(),
    schemaVersion: z
      .enum(['2.0.0', '1.0.0'], {
        error: (issue) =>
          `${JSON.stringify(issue.input)} is not a container-structure-test schema version; use "2.0.0" (or "1.0.0")`,
      })
      .optional(),
    globalEnvVars: z.array(envVarSchema).optional().describe('Variables set for every command test.'),
    containerRunOptions: containerRunOptionsSchema.optional(),
    commandTests: z.array(commandTestSchema).optional(),
    fileExistenceTests: z.array(fileExistenceTestSchema).optional(),
    fileContentTests: z.array(fileContentTestSchema).optional(),
    metadataTest: metadataTestSchema.optional(),
    licenseTests: z.array(licenseTestSchema).optional(),
    serviceTests: z.array(serviceTestSchema).optional(),
  })
  .strict()
  .refine((spec) => TEST_LISTS.some((list) => (spec[list]?.length ?? 0) > 0) || spec.metadataTest !== undefined, {
    message:
      'a smoke spec needs at least one test: commandTests, fileExistenceTests, fileContentTests, ' +
      'metadataTest, licenseTests or serviceTests',
  })
  .describe('A mesos-pipeline smoke spec: a container-structure-test config plus serviceTests.');

/** A smoke spec as written in its file. */
export type SmokeSpecFile = z.infer<typeof smokeSpecSchema>;
export type EnvVar = z.infer<typeof envVarSchema>;
/** A command test as the runner takes it: `command` is the whole argv (c-s-t's command + args). */
export type CommandTest = Omit<z.infer<typeof commandTestSchema>, 'command' | 'args' | 'env'> & { command: string[] };
export type FileExistenceTest = z.infer<typeof fileExistenceTestSchema>;
export type FileContentTest = z.infer<typeof fileContentTestSchema>;
export type MetadataTest = Omit<z.infer<typeof metadataTestSchema>, 'env'>;
export type LicenseTest = z.infer<typeof licenseTestSchema>;
export type ContainerRunOptions = Omit<
  z.infer<typeof containerRunOptionsSchema>,
  'allocateTty' | 'envVars' | 'envFile' | 'bindMounts'
>;
export type ServiceTest = z.infer<typeof serviceTestSchema>;
export type Step = z.infer<typeof stepSchema>;
export type Predicate = z.infer<typeof predicateSchema>;
export type RunOptions = z.infer<typeof runOptionsSchema>;

/** A smoke spec as the runner takes it (see normalizeSpec in spec.ts). */
export interface SmokeSpec {
  schemaVersion?: string | undefined;
  globalEnvVars?: EnvVar[] | undefined;
  containerRunOptions?: ContainerRunOptions | undefined;
  commandTests?: CommandTest[] | undefined;
  fileExistenceTests?: FileExistenceTest[] | undefined;
  fileContentTests?: FileContentTest[] | undefined;
  metadataTest?: MetadataTest | undefined;
  licenseTests?: LicenseTest[] | undefined;
  serviceTests?: ServiceTest[] | undefined;
}
