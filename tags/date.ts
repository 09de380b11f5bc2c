// One module per function: the date-fns index loads all of its ~250 functions (a quarter second),
// and `parse`/`format` load its locale and token tables (some 80 modules, a tenth of a second on
// every command that reads --date, plan included); `parseISO` is one small module that checks the
// calendar (month lengths, leap years) itself. No @date-fns/utc: loading it costs more than
// everything else a plan does with dates, and an ISO string already is the UTC day.
import { isValid } from 'date-fns/isValid';
import { parseISO } from 'date-fns/parseISO';

/** The UTC calendar day of an instant, `YYYY-MM-DD`. Never the host's time zone. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/**
 * Checks a `--date` value: exactly `YYYY-MM-DD` and a real calendar day (no 2026-02-30).
 * Returns the problem, or undefined when the day is valid.
 */
export function dayProblem(text: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text))
    return `"${text}" is not a date in the form YYYY-MM-DD (for example 2026-11-27)`;
  // parseISO refuses a day its month does not have (2026-02-29, 2026-11-31) and months outside 01-12.
  if (isValid(parseISO(text))) return undefined;
  const [year, month] = text.split('-').map(Number) as [number, number];
  if (month < 1 || month > 12) return `"${text}" is not a real calendar day: months go from 01 to 12`;
  const yearMonth = text.slice(0, 7);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return (
    `"${text}" is not a real calendar day: ${yearMonth} has ${days} days; for example ` + `${yearMonth}-${String(days)}`
  );
}

/** How far back `--date` may go without `--rerun-old-date`: dated tags older than this are pruned. */
export const OLD_DATE_DAYS = 30;

/** `day` plus `days` whole days, as YYYY-MM-DD. */
function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Checks that a valid `--date` is near `today` (the run's UTC day): at most one day ahead (a run
 * just before midnight somewhere), and at most OLD_DATE_DAYS back unless `oldOnPurpose` (a
 * deliberate re-run of an old day). A typo here would leave a dated tag in the registry for good.
 * `remedy` starts the advice on what to do instead (`give a day` from ... to ...).
 */
export function dayRangeProblem(
  day: string,
  today: string,
  oldOnPurpose: boolean,
  remedy = 'give a day',
): string | undefined {
  const range = `${remedy} from ${addDays(today, -OLD_DATE_DAYS)} to ${addDays(today, 1)}`;
  const ahead = (Date.parse(`${day}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000;
  if (ahead > 1) return `${day} is more than a day after today (${today} UTC); ${range}`;
  if (ahead < -OLD_DATE_DAYS && !oldOnPurpose)
    return (
      `${day} is more than ${OLD_DATE_DAYS} days before today (${today} UTC); ${range}, or add --rerun-old-date ` +
      `to re-run that old day on purpose`
    );
  return undefined;
}

/** Whole days from `day` (YYYY-MM-DD) to the UTC day of `now`; for pruning and staleness. */
export function ageInDays(day: string, now: Date): number {
  const start = Date.parse(`${day}T00:00:00Z`);
  return (now.getTime() - start) / 86_400_000;
}
