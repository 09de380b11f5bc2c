import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, InputError } from '../../../pipeline/errors.js';
import { readJsonConfig } from '../../../pipeline/family/json-config.js';
import { writeTree } from '../../helpers/temp-files.js';

const schema = z.object({ name: z.string(), size: z.number().int() }).strict();
const unreadable = (error: unknown): Error => new InputError(`cannot read: ${(error as Error).name}`);

function file(text: string): string {
  return path.join(writeTree({ 'config.json': text }), 'config.json');
}

describe('readJsonConfig', () => {
  it('returns what the schema accepts', async () => {
    const full = file('{"name":"a","size":1}');
    expect(await readJsonConfig(full, schema, { label: 'x.json', unreadable })).toEqual({ name: 'a', size: 1 });
  });

  it.each([
    ['a missing file', undefined, /^cannot read: Error$/],
    ['text that is not JSON', '{name', /^cannot read: SyntaxError$/],
  ])('words %s as the caller says', async (_, text, message) => {
    const full = text === undefined ? path.join(writeTree({}), 'none.json') : file(text);
    await expect(readJsonConfig(full, schema, { label: 'x.json', unreadable })).rejects.toThrow(message);
  });

  it('lists every problem the schema finds, as path: message, under the label', async () => {
    const full = file('{"name":1,"size":1.5}');
    const error = await readJsonConfig(full, schema, { label: '--plan x.json', unreadable }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/^--plan x\.json: 2 problems:\n {2}- name: .*\n {2}- size: /);
  });

  it('runs the precheck before the schema', async () => {
    const full = file('{"version":1}');
    const precheck = (): void => {
      throw new InputError('--plan x.json: plan format 1 is too old');
    };
    await expect(readJsonConfig(full, schema, { label: 'x', unreadable, precheck })).rejects.toThrow(/too old/);
  });
});
