import { MemoryRegistry } from '../../helpers/memory-registry.js';
import { registryContract } from '../../helpers/registry-contract.js';

// The fake the orchestration tests use keeps the contract a real registry keeps
// (test/itg/registry-contract.itg.test.ts runs the same one against the reference registry).
registryContract('in memory, deletes on', () => ({ registry: new MemoryRegistry(), deleteEnabled: true }));
registryContract('in memory, deletes off', () => ({
  registry: new MemoryRegistry({ deleteEnabled: false }),
  deleteEnabled: false,
}));
