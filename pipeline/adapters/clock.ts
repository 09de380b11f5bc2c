import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../ports.js';

export const systemClock: Clock = {
  now: () => new Date(),
  after: (ms, fire) => {
    const timer = setTimeout(fire, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
  sleep: async (ms, signal) => {
    try {
      await delay(ms, undefined, signal ? { signal } : undefined);
    } catch (error) {
      // Node rejects with a generic AbortError; callers want the reason (which signal, why).
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
  },
};
