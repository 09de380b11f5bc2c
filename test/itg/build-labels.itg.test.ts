import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DockerImageEngine } from '../../pipeline/adapters/docker-engine.js';
import { fixtures } from '../helpers/paths.js';
import { dockerOf, readStack } from '../helpers/stack.js';
import { writeTree } from '../helpers/temp-files.js';

// Labels reach the image exactly as given, whatever characters they hold, in one builder step.
const stack = readStack();
const engine = new DockerImageEngine(dockerOf(stack), stack.dockerHost);
const labels = {
  'org.opencontainers.image.source': 'https://github.com/apache/mesos.git',
  'tricky.dollar': 'cost $HOME ${PATH} $$',
  'tricky.quotes': 'say "hi" and \\"escaped\\" \\n no newline',
  'tricky.spaces': '  padded  ',
  empty: '',
};

describe('build labels', () => {
  it('puts every label on the image verbatim, with one LABEL step', async () => {
    const steps: string[] = [];
    const id = await engine.build({ context: path.join(fixtures, 'hello'), buildArgs: {}, labels }, (line) =>
      steps.push(line),
    );
    try {
      const image = await engine.inspectImage(id);
      for (const [key, value] of Object.entries(labels)) expect(image?.labels[key], key).toBe(value);
      // One step for the run's labels; the other LABEL marks the stage as pipeline build cache.
      const labelSteps = steps.filter((line) => /^Step \d+\/\d+ : LABEL /.test(line));
      expect(labelSteps.filter((line) => !line.includes('io.mesos-pipeline.cache'))).toHaveLength(1);
      expect(labelSteps.filter((line) => line.includes('io.mesos-pipeline.cache="1"'))).toHaveLength(1);
      expect(image?.labels['io.mesos-pipeline.cache']).toBe('1');
    } finally {
      await engine.removeImage(id);
    }
  });

  it('falls back to API labels when the Dockerfile changes its escape character', async () => {
    const context = writeTree({ Dockerfile: '# escape=`\nFROM mesos-pipeline/busybox:static\nRUN echo `\n  ok\n' });
    const id = await engine.build({ context, buildArgs: {}, labels }, () => undefined);
    try {
      const image = await engine.inspectImage(id);
      for (const [key, value] of Object.entries(labels)) expect(image?.labels[key], key).toBe(value);
    } finally {
      await engine.removeImage(id);
    }
  });
});
