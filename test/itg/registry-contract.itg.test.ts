import { afterAll, beforeAll } from 'vitest';
import { RegistryHttp } from '../../pipeline/adapters/registry-http.js';
import { StreamLogger } from '../../pipeline/log.js';
import { Redactor } from '../../pipeline/redact.js';
import { PrivateRegistry } from '../helpers/private-registry.js';
import { registryContract } from '../helpers/registry-contract.js';
import { BufferSink, fixedClock } from '../helpers/runtime.js';
import { readStack } from '../helpers/stack.js';

// The contract the in-memory registry of the unit tests keeps (test/pipeline/publish/
// memory-registry.test.ts), held against the reference registry itself through the pipeline's own
// client: with deletes on (the shared open registry) and off (the reference registry's default).
const stack = readStack();

function client(host: string): RegistryHttp {
  return new RegistryHttp({
    host,
    retry: {
      policy: { retries: 0, minDelayMs: 10, maxDelayMs: 10 },
      log: new StreamLogger({ sink: new BufferSink(), redactor: new Redactor() }),
      clock: fixedClock('2026-11-27T10:00:00Z'),
    },
  });
}

let refusing: PrivateRegistry;
beforeAll(async () => {
  refusing = await PrivateRegistry.start({ deleteEnabled: false });
});
afterAll(async () => {
  await refusing?.stop();
});

registryContract('the reference registry, deletes on', () => ({
  registry: client(stack.registry),
  deleteEnabled: true,
}));
registryContract('the reference registry, deletes off', () => ({
  registry: client(refusing.host),
  deleteEnabled: false,
}));
