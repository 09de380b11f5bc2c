import type { Clock } from '../../pipeline/ports.js';

/**
 * A clock whose timers fire only when the test says (`fireAll`), at a fixed instant: proof that
 * an adapter keeps its deadlines on the clock it was given, not on the system's.
 */
export class HandClock implements Clock {
  private readonly timers = new Map<number, () => void>();
  private next = 0;
  /** The delays asked for, in order. */
  readonly asked: number[] = [];

  private readonly instant: Date;

  constructor(instant = new Date('2026-11-27T10:00:00Z')) {
    this.instant = instant;
  }

  now(): Date {
    return new Date(this.instant);
  }

  after(ms: number, fire: () => void): () => void {
    const id = (this.next += 1);
    this.asked.push(ms);
    this.timers.set(id, fire);
    return () => this.timers.delete(id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      signal?.throwIfAborted();
      const cancel = this.after(ms, resolve);
      signal?.addEventListener('abort', () => {
        cancel();
        reject(signal.reason as Error);
      });
    });
  }

  /** Fires every timer set so far; returns how many fired. */
  fireAll(): number {
    const due = [...this.timers.values()];
    this.timers.clear();
    for (const fire of due) fire();
    return due.length;
  }

  get pending(): number {
    return this.timers.size;
  }
}
