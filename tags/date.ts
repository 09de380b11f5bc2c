import { UTCDate } from '@date-fns/utc';
// One module per function: the date-fns index loads all of its ~250 functions (a quarter second).
import { format } from 'date-fns/format';
import { isValid } from 'date-fns/isValid';
import { parse } from 'date-fns/parse';

/** The UTC calendar day of an instant, `YYYY-MM-DD`. Never the host's time zone. */
export function utcDay(now: Date): string {
  return format(new UTCDate(now.getTime()), 'yyyy-MM-dd');
}

/**
 * Checks a `--date` value: exactly `YYYY-MM-DD` and a real calendar day (no 2026-02-30).
 * Returns the problem, or undefined when the day is valid.
 */
export function dayProblem(text: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text))
    return `"${text}" is not a date in the form YYYY-MM-DD (for example 2026-11-27)`;
  const parsed = parse(text, 'yyyy-MM-dd', new UTCDate(0));
  if (!isValid(parsed) || format(parsed, 'yyyy-MM-dd') !== text) return `"${text}" is not a real calendar day`;
  return undefined;
}

/** Whole days from `day` (YYYY-MM-DD) to the UTC day of `now`; for pruning and staleness. */
export function ageInDays(day: string, now: Date): number {
  const start = Date.parse(`${day}T00:00:00Z`);
  return (now.getTime() - start) / 86_400_000;
}
