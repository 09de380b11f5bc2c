import type { Clock } from './ports.js';

/**
 * A signal for one piece of work: it aborts when `parent` does, or after `ms` of `clock` with
 * `reason()` (a TimeoutError `no answer within …` unless given).
 */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Stops the timer and the link to the parent; call it when the work is done. */
  dispose(this: void): void;
}

/**
 * Not `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: on Node 20 the timeout signal inside
 * a composite is held only weakly and can be garbage-collected, and then it never fires
 * (nodejs/node#57736) — a request to a registry that stopped answering would wait forever. Here the
 * timer holds the controller itself.
 */
export function deadline(
  clock: Clock,
  ms: number,
  parent?: AbortSignal,
  reason: () => unknown = () => new DOMException(`no answer within ${ms}ms`, 'TimeoutError'),
): Deadline {
  const controller = new AbortController();
  const onParentAbort = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  // Like AbortSignal.timeout, the clock's timer alone does not keep the process alive; the work does.
  const cancel = clock.after(ms, () => controller.abort(reason()));
  return {
    signal: controller.signal,
    dispose: () => {
      cancel();
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

/**
 * A signal that aborts `graceMs` of `clock` after `parent` does, with the parent's reason: for
 * work that, once begun, is better finished than abandoned (a write the server acts on anyway).
 */
export function graceAfter(clock: Clock, graceMs: number, parent: AbortSignal | undefined): Deadline {
  const controller = new AbortController();
  let cancel = (): void => undefined;
  const onParentAbort = (): void => {
    cancel = clock.after(graceMs, () => controller.abort(parent?.reason));
  };
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      cancel();
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
