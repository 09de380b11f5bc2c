import { InputError } from '../errors.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SECOND = 1000;
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** `36h`, `2d`, `90m`, `1d12h`, `45s` -> milliseconds; anything else is bad input for `option`. */
export function parseDuration(option: string, text: string): number {
  const match = DURATION.exec(text);
  const ms =
    match && text !== ''
      ? Number(match[1] ?? 0) * DAY +
        Number(match[2] ?? 0) * HOUR +
        Number(match[3] ?? 0) * MINUTE +
        Number(match[4] ?? 0) * SECOND
      : 0;
  if (match && text !== '' && ms <= 0)
    throw new InputError(`${option} "${text}" must be longer than zero; for example 36h, 2d or 1d12h`);
  if (!match || ms <= 0)
    throw new InputError(
      `${option} "${text}" is not a duration; use whole numbers with d, h, m or s, for example 36h, 2d or 1d12h`,
    );
  return ms;
}

/** Milliseconds as `1d 10h`, `5h 07m` or `42m`, for ages. */
export function formatAge(ms: number): string {
  const minutes = Math.floor(ms / MINUTE);
  const days = Math.floor(minutes / (24 * 60));
  const hours = Math.floor((minutes % (24 * 60)) / 60);
  const rest = minutes % 60;
  if (days > 0) return `${days}d ${String(hours).padStart(2, '0')}h`;
  if (hours > 0) return `${hours}h ${String(rest).padStart(2, '0')}m`;
  return `${rest}m`;
}
