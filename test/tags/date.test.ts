import { afterEach, describe, expect, it } from 'vitest';
import { OLD_DATE_DAYS, ageInDays, dayProblem, dayRangeProblem, utcDay } from '../../tags/date.js';

const originalTz = process.env.TZ;
afterEach(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

describe('utcDay', () => {
  // Host time zones on both sides of UTC: the day must not move with them (Apache's scripts used
  // the Jenkins agent's local `date +%F`).
  const zones = ['UTC', 'Pacific/Kiritimati', 'America/Los_Angeles', 'Asia/Kolkata'];
  it.each([
    ['2026-11-27T00:00:00.000Z', '2026-11-27'],
    ['2026-11-27T23:59:59.999Z', '2026-11-27'],
    ['2026-11-28T00:00:00.000Z', '2026-11-28'],
    ['2026-11-26T23:30:00.000Z', '2026-11-26'],
    ['2024-02-29T12:00:00.000Z', '2024-02-29'],
    ['2026-12-31T23:59:59.000Z', '2026-12-31'],
    ['2027-01-01T00:00:00.000Z', '2027-01-01'],
  ])('%s is %s in every host time zone', (instant, day) => {
    for (const zone of zones) {
      process.env.TZ = zone;
      expect(utcDay(new Date(instant)), zone).toBe(day);
    }
  });
});

describe('dayProblem', () => {
  it.each(['2026-11-27', '2024-02-29', '2000-01-01', '2026-12-31', '2000-02-29', '2026-04-30', '1999-12-31'])(
    'accepts %s',
    (day) => {
      expect(dayProblem(day)).toBeUndefined();
    },
  );
  it('accepts and refuses the same days in every host time zone', () => {
    for (const zone of ['UTC', 'Pacific/Kiritimati', 'America/Los_Angeles', 'America/Santiago', 'Asia/Kolkata']) {
      process.env.TZ = zone;
      expect(dayProblem('2026-09-06'), zone).toBeUndefined();
      expect(dayProblem('2026-03-08'), zone).toBeUndefined();
      expect(dayProblem('2026-02-29'), zone).toMatch(/2026-02 has 28 days/);
    }
  });
  it.each([
    ['2026-02-29', /not a real calendar day/],
    ['2026-13-01', /not a real calendar day/],
    ['2026-11-31', /not a real calendar day/],
    ['2026-00-10', /not a real calendar day/],
    ['2026-11-00', /2026-11 has 30 days/],
    ['2100-02-29', /2100-02 has 28 days/],
    ['2026-04-31', /2026-04 has 30 days/],
    ['2026-01-32', /2026-01 has 31 days/],
    ['26-11-27', /YYYY-MM-DD/],
    ['2026-1-5', /YYYY-MM-DD/],
    ['2026-11-27T00:00:00Z', /YYYY-MM-DD/],
    ['today', /YYYY-MM-DD/],
    ['x2026-11-27', /YYYY-MM-DD/],
    ['2026-11-27x', /YYYY-MM-DD/],
    ['', /YYYY-MM-DD/],
  ])('rejects %s', (day, message) => {
    expect(dayProblem(day)).toMatch(message);
  });
});

describe('dayProblem: the whole message', () => {
  it.each([
    ['2026-13-01', '"2026-13-01" is not a real calendar day: months go from 01 to 12'],
    ['2026-00-10', '"2026-00-10" is not a real calendar day: months go from 01 to 12'],
    // December is a month: its 32nd is a day too many, not a month out of range.
    ['2026-12-32', '"2026-12-32" is not a real calendar day: 2026-12 has 31 days; for example 2026-12-31'],
    ['2024-02-30', '"2024-02-30" is not a real calendar day: 2024-02 has 29 days; for example 2024-02-29'],
  ])('%s', (day, message) => {
    expect(dayProblem(day)).toBe(message);
  });
});

describe('dayRangeProblem: a --date near the UTC today', () => {
  const today = '2026-11-27';
  const range = 'give a day from 2026-10-28 to 2026-11-28';
  it('reaches 30 days back', () => {
    expect(OLD_DATE_DAYS).toBe(30);
  });
  it.each([
    ['2026-11-27', false, undefined],
    // One day ahead: a run just before midnight somewhere.
    ['2026-11-28', false, undefined],
    ['2026-11-29', false, `2026-11-29 is more than a day after today (2026-11-27 UTC); ${range}`],
    ['2027-11-27', true, `2027-11-27 is more than a day after today (2026-11-27 UTC); ${range}`],
    ['2026-10-28', false, undefined],
    [
      '2026-10-27',
      false,
      `2026-10-27 is more than 30 days before today (2026-11-27 UTC); ${range}, or add --rerun-old-date to re-run ` +
        'that old day on purpose',
    ],
    ['2026-10-27', true, undefined],
    ['2020-01-01', true, undefined],
  ])('%s (old on purpose: %s)', (day, old, problem) => {
    expect(dayRangeProblem(day, today, old)).toBe(problem);
  });
  it('counts across a year and a leap day, and starts the advice with the remedy given', () => {
    expect(dayRangeProblem('2025-01-02', '2024-12-31', false, 'apply the plan on a day')).toBe(
      '2025-01-02 is more than a day after today (2024-12-31 UTC); ' +
        'apply the plan on a day from 2024-12-01 to 2025-01-01',
    );
    expect(dayRangeProblem('2024-02-29', '2024-03-01', false)).toBeUndefined();
    expect(dayRangeProblem('2024-01-30', '2024-03-01', false)).toMatch(/give a day from 2024-01-31 to 2024-03-02/);
  });
});

describe('ageInDays', () => {
  it.each([
    ['2026-11-27', '2026-11-27T12:00:00Z', 0.5],
    ['2026-11-26', '2026-11-27T12:00:00Z', 1.5],
    ['2026-10-28', '2026-11-27T00:00:00Z', 30],
  ])('%s at %s is %d days old', (day, now, days) => {
    expect(ageInDays(day, new Date(now))).toBeCloseTo(days, 6);
  });
});
