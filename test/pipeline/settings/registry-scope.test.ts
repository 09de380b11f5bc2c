import { describe, expect, it } from 'vitest';
import { resolvePlanSettings } from '../../../pipeline/settings/common-options.js';
import { resolveRegistryScope } from '../../../pipeline/settings/registry-options.js';
import { testRuntime } from '../../helpers/runtime.js';

// A bad value is reported under the name the user gave it by: the flag, or the environment variable.
describe('registry settings name where a bad value came from', () => {
  it.each([
    [
      'prune/status scope',
      (env: Record<string, string>, flags: { registry?: string }) =>
        resolveRegistryScope({ branch: [], ...flags }, testRuntime({ env })),
    ],
    [
      'plan settings',
      (env: Record<string, string>, flags: { registry?: string }) =>
        resolvePlanSettings({ branch: [], ...flags }, testRuntime({ env })),
    ],
  ])('%s', (_, resolve) => {
    expect(() => resolve({ MESOS_PIPELINE_REGISTRY: 'docker.io/Mesos' }, {})).toThrow(
      /^MESOS_PIPELINE_REGISTRY "docker.io\/Mesos": "Mesos" is not a valid repository path component/,
    );
    expect(() => resolve({ MESOS_PIPELINE_REGISTRY: '127.0.0.1:5000/ok' }, { registry: 'docker.io/Mesos' })).toThrow(
      /^--registry "docker.io\/Mesos": "Mesos" is not a valid repository path component/,
    );
  });
});
