import { describe, expect, it } from 'vitest';
import { buildProgram, type Handlers } from '../../../pipeline/cli/program.js';
import { runCli } from '../../../pipeline/cli/run-cli.js';
import { testRuntime } from '../../helpers/runtime.js';

const COMMANDS = ['plan', 'publish', 'report', 'prune', 'status', 'matrix', 'clean'];

async function helpOf(command: string | undefined): Promise<string> {
  const runtime = testRuntime();
  expect(await runCli(command ? [command, '--help'] : ['--help'], runtime)).toBe(0);
  return runtime.stdout.text;
}

/** The `$ mesos-pipeline …` lines under the help's closing "Examples:" heading. */
function examplesOf(help: string): string[] {
  const [, tail = ''] = help.split(/\nExamples:\n/);
  return tail
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.trim());
}

/** The help's option entries, each with its wrapped lines joined. */
function optionEntries(help: string): string[] {
  const section = help.split(/\nOptions:\n/)[1]?.split(/\n\n/)[0] ?? '';
  const entries: string[] = [];
  for (const line of section.split('\n')) {
    if (/^ {2}-/.test(line)) entries.push(line.trim());
    else entries[entries.length - 1] += ` ${line.trim()}`;
  }
  return entries;
}

/** Parses an example's words with handlers that only record what they were given. */
async function parseExample(example: string): Promise<string[]> {
  const words = example.replace(/^\$ mesos-pipeline /, '').split(/\s+/);
  const called: string[] = [];
  const record = (name: string) => (): Promise<number> => {
    called.push(name);
    return Promise.resolve(0);
  };
  const handlers: Handlers = {
    plan: record('plan'),
    publish: record('publish'),
    report: record('report'),
    prune: record('prune'),
    status: record('status'),
    matrix: record('matrix'),
    clean: record('clean'),
  };
  const errors: string[] = [];
  const program = buildProgram(handlers, { out: () => undefined, err: (text) => errors.push(text) }, () => undefined);
  await program.parseAsync(words, { from: 'user' });
  expect(errors).toEqual([]);
  return called;
}

describe('--help', () => {
  it.each([undefined, ...COMMANDS])(
    '%s: ends with two or three examples that parse as that command',
    async (command) => {
      const help = await helpOf(command);
      const examples = examplesOf(help);
      expect(examples.length).toBeGreaterThanOrEqual(2);
      expect(examples.length).toBeLessThanOrEqual(3);
      for (const example of examples) {
        expect(example).toMatch(command ? new RegExp(`^\\$ mesos-pipeline ${command}( |$)`) : /^\$ mesos-pipeline \w+/);
        const called = await parseExample(example);
        expect(called).toEqual([command ?? example.split(' ')[2]]);
      }
    },
  );

  it.each(COMMANDS)(
    '%s: no option prints an empty list as its default, none prints a default twice',
    async (command) => {
      const entries = optionEntries(await helpOf(command));
      expect(entries.length).toBeGreaterThan(1);
      for (const entry of entries) {
        expect(entry).not.toContain('(default: [])');
        expect(entry.match(/default/gi)?.length ?? 0).toBeLessThanOrEqual(1);
      }
    },
  );

  it('repeatable options still collect every value, and default to none', async () => {
    let seen: unknown;
    const handlers = { plan: (flags: unknown) => ((seen = flags), Promise.resolve(0)) } as unknown as Handlers;
    const program = buildProgram(handlers, { out: () => undefined, err: () => undefined }, () => undefined);
    await program.parseAsync(['plan', '--branch', 'master', '--branch', '1.11.x'], { from: 'user' });
    expect(seen).toMatchObject({ branch: ['master', '1.11.x'] });
    const again = buildProgram(handlers, { out: () => undefined, err: () => undefined }, () => undefined);
    await again.parseAsync(['plan'], { from: 'user' });
    expect(seen).toMatchObject({ branch: [] });
  });
});
