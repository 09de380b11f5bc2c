import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSmokeSpec, smokeSpecProblems } from '../../../pipeline/smoke/spec.js';
import { fixtures } from '../../helpers/paths.js';

// container-structure-test's own configs, byte for byte (test/fixtures/cst/README.md).
const upstream = path.join(fixtures, 'cst', 'upstream');
const read = (file: string): string => readFileSync(path.join(upstream, file), 'utf8');
const CONFIGS = readdirSync(upstream).filter((file) => /\.(json|ya?ml)$/.test(file));

/** The configs that use a c-s-t field we refuse, with the problems that names. */
const REFUSED: Record<string, RegExp[]> = {
  'ubuntu_22_04_containeropts_env_test.yaml': [
    /^ubuntu_22_04_containeropts_env_test.yaml: containerRunOptions.envVars: not supported: a smoke test may not depend on the pipeline's own environment/,
  ],
  'ubuntu_22_04_containeropts_envfile_test.yaml': [
    /^ubuntu_22_04_containeropts_envfile_test.yaml: containerRunOptions.envFile: not supported: /,
  ],
  'ubuntu_22_04_containeropts_test.yaml': [
    /^ubuntu_22_04_containeropts_test.yaml: containerRunOptions.bindMounts: not supported: /,
  ],
};

describe("container-structure-test's own configs", () => {
  it('are all here: YAML and JSON, both schema versions', () => {
    expect(CONFIGS).toHaveLength(11);
    expect(CONFIGS.filter((file) => file.endsWith('.json'))).toHaveLength(3);
  });

  it.each(CONFIGS.filter((file) => !(file in REFUSED)))('%s loads as a smoke spec', (file) => {
    expect(smokeSpecProblems(file, read(file))).toEqual([]);
  });

  it.each(Object.entries(REFUSED))('%s is refused, naming exactly the unsupported field', (file, expected) => {
    const problems = smokeSpecProblems(file, read(file));
    expect(problems, problems.join('\n')).toEqual(expected.map((pattern): unknown => expect.stringMatching(pattern)));
  });

  it('reads 2.0.0 command + args and 1.0.0 argv commands as the same argv', () => {
    const v2 = parseSmokeSpec(read('ubuntu_22_04_test.yaml'), 'x.yaml');
    expect(v2.commandTests?.map((test) => test.command)).toEqual([
      ['apt-get', 'help'],
      ['apt-config', 'dump'],
      ['sh', '-c', 'echo $PATH'],
    ]);
    const v1 = parseSmokeSpec(read('debian_test.json'), 'x.json');
    expect(v1.commandTests?.map((test) => test.command)).toEqual([
      ['apt-get', 'help'],
      ['apt-config', 'dump'],
    ]);
    const literal = parseSmokeSpec(read('ubuntu_22_04_containeropts_user_test.yaml'), 'x.yaml');
    expect(literal.commandTests?.[0]?.command).toEqual(['bash', '-c', 'whoami\napt-get update\n']);
    expect(literal.containerRunOptions).toEqual({ user: 'root' });
  });

  it('keeps what c-s-t keeps: defaults unset, ownership, license tests with an empty files list', () => {
    const spec = parseSmokeSpec(read('ubuntu_22_04_test.yaml'), 'x.yaml');
    expect(spec.fileExistenceTests?.[0]).toEqual({ name: 'Root', path: '/', shouldExist: true, uid: 0, gid: 0 });
    expect(spec.licenseTests).toEqual([
      { debian: false, files: ['/usr/share/doc/ubuntu-keyring/copyright', '/usr/share/doc/dash/copyright'] },
    ]);
    const failure = parseSmokeSpec(read('ubuntu_22_04_failure_test.yaml'), 'x.yaml');
    expect(failure.licenseTests).toEqual([{ debian: true }]);
  });

  it('reads the metadata test as c-s-t writes it', () => {
    const spec = parseSmokeSpec(read('ubuntu_22_04_metadata_test.yaml'), 'x.yaml');
    expect(spec.metadataTest).toEqual({
      envVars: [
        { key: 'SOME_KEY', value: 'SOME_VAL' },
        { key: 'EMPTY_VAR', value: '' },
        { key: 'FOO_BAR', value: 'FOO\\:BAR=BAZ' },
        { key: 'REGEX_VAR', value: '[a-z]+-2\\.1\\.*', isRegex: true },
      ],
      unboundEnvVars: [{ key: 'BAR_FOO' }],
      labels: [
        { key: 'localnet.localdomain.commit_hash', value: '0123456789abcdef0123456789abcdef01234567' },
        { key: 'localnet.my-domain.my-label', value: 'my .+ label', isRegex: true },
        { key: 'label-with-empty-val', value: '' },
      ],
      unexposedPorts: ['80'],
      unmountedVolumes: ['/root'],
    });
  });
});
