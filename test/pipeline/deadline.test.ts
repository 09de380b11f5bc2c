import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../pipeline/adapters/clock.js';
import { deadline } from '../../pipeline/deadline.js';
import type { Clock } from '../../pipeline/ports.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('deadline', () => {
  it(
    'aborts after its time even when garbage is collected meanwhile (unlike AbortSignal.any with ' +
      'AbortSignal.timeout on Node 20)',
    async () => {
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc') as () => void;
      const run = new AbortController();
      const { signal } = deadline(systemClock, 200, run.signal);
      gc();
      await sleep(10);
      gc();
      await sleep(400);
      expect(signal.aborted).toBe(true);
      expect((signal.reason as Error).name).toBe('TimeoutError');
    },
  );

  it('aborts with the parent, for the parent’s reason', () => {
    const run = new AbortController();
    const { signal, dispose } = deadline(systemClock, 60_000, run.signal);
    run.abort(new Error('interrupted by SIGINT'));
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Error).message).toBe('interrupted by SIGINT');
    dispose();
  });

  it('is aborted at once when the parent already is', () => {
    const run = new AbortController();
    run.abort(new Error('gone'));
    expect(deadline(systemClock, 60_000, run.signal).signal.aborted).toBe(true);
  });

  it('does nothing more once disposed', async () => {
    const run = new AbortController();
    const { signal, dispose } = deadline(systemClock, 50, run.signal);
    dispose();
    run.abort(new Error('later'));
    await sleep(100);
    expect(signal.aborted).toBe(false);
  });

  it('keeps the time of the clock it is given, not the wall clock', () => {
    const timers: { ms: number; fire: () => void; cancelled: boolean }[] = [];
    const manual: Clock = {
      now: () => new Date(0),
      sleep: () => Promise.resolve(),
      after: (ms, fire) => {
        const timer = { ms, fire, cancelled: false };
        timers.push(timer);
        return () => (timer.cancelled = true);
      },
    };
    const first = deadline(manual, 30_000);
    expect(timers.map((t) => t.ms)).toEqual([30_000]);
    expect(first.signal.aborted).toBe(false);
    timers[0]?.fire();
    expect((first.signal.reason as Error).message).toBe('no answer within 30000ms');
    deadline(manual, 5).dispose();
    expect(timers[1]?.cancelled).toBe(true);
  });
});
